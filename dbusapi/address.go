package dbusapi

import (
	"strings"

	"github.com/godbus/dbus/v5"
)

// Socket is the socket of an address that is one unix:path.
func (a Address) Socket() (string, bool) {
	rest, ok := strings.CutPrefix(a.Address, "unix:path=")
	if !ok || strings.ContainsAny(rest, ",;") {
		return "", false
	}
	path, err := dbus.UnescapeBusAddressValue(rest)
	return path, err == nil
}

// SocketOrAddress is the socket of an address that is one unix:path, else
// the address, for people.
func (a Address) SocketOrAddress() string {
	if path, ok := a.Socket(); ok {
		return path
	}
	return a.Address
}
