package dbusapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
)

// Names shared by the server in poold and the client in poolctl. The "1" is
// the API version: an incompatible change gets new names beside these.
const (
	// BusNamePrefix starts the bus name of every pool: BusNamePrefix + "." +
	// the escaped pool name (see BusName).
	BusNamePrefix = "org.poold.pool1"

	ManagerInterface = "org.poold.pool1.Manager"
	WorkerInterface  = "org.poold.pool1.Worker"

	ManagerPath      = dbus.ObjectPath("/org/poold/pool1")
	workerPathPrefix = "/org/poold/pool1/worker/"

	// Signals of the Manager object.
	SignalWorkerNew     = "WorkerNew"
	SignalWorkerRemoved = "WorkerRemoved"
)

// D-Bus error names, in systemd's style.
const (
	errorPrefix           = "org.poold.pool1.Error."
	ErrorInvalidArgument  = errorPrefix + "InvalidArgument"
	ErrorBusy             = errorPrefix + "Busy"
	ErrorNotPermitted     = errorPrefix + "NotPermitted"
	ErrorShuttingDown     = errorPrefix + "ShuttingDown"
	ErrorNoSuchWorker     = errorPrefix + "NoSuchWorker"
	ErrorReloadFailed     = errorPrefix + "ReloadFailed"
	ErrorUpgradeFailed    = errorPrefix + "UpgradeFailed"
	ErrorInternal         = errorPrefix + "Internal"
	propertiesInterface   = "org.freedesktop.DBus.Properties"
	introspectableIface   = "org.freedesktop.DBus.Introspectable"
	errorUnknownProperty  = "org.freedesktop.DBus.Error.UnknownProperty"
	errorPropertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly"
	errorUnknownMethod    = "org.freedesktop.DBus.Error.UnknownMethod"
)

// Flags of Scale.
const (
	// ScaleAllowZero lets Scale stop every worker; without it 0 is refused so
	// that a typo cannot take a service down.
	ScaleAllowZero uint64 = 1 << iota
)

// WorkerPath is the object path of the worker with the given ID.
func WorkerPath(id uint64) dbus.ObjectPath {
	return dbus.ObjectPath(workerPathPrefix + strconv.FormatUint(id, 10))
}

// BusName is the well-known bus name of a pool. Pool names may hold
// characters a bus name element cannot ('.', '-', a leading digit); like
// systemd's bus_label_escape, every byte but an ASCII letter or a non-leading
// digit becomes '_' and two hex digits.
func BusName(pool string) string {
	var b strings.Builder
	b.WriteString(BusNamePrefix + ".")
	if pool == "" {
		b.WriteString("_")
	}
	for i := 0; i < len(pool); i++ {
		c := pool[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		if letter || digit && i > 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02x", c)
	}
	return b.String()
}

// PoolName is the inverse of BusName; ok is false for names that are not a
// pool's.
func PoolName(busName string) (name string, ok bool) {
	label, found := strings.CutPrefix(busName, BusNamePrefix+".")
	if !found || label == "" || strings.Contains(label, ".") {
		return "", false
	}
	if label == "_" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(label); i++ {
		if label[i] != '_' {
			b.WriteByte(label[i])
			continue
		}
		if i+3 > len(label) {
			return "", false
		}
		v, err := strconv.ParseUint(label[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), true
}
