// Package listenspec reads the addresses poold listens on (--listen,
// --metrics-listen): "[NAME=]HOST:PORT", "[IPV6]:PORT", ":PORT" or
// "unix:/PATH". It only parses; package activation binds.
package listenspec

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultName is the name of a socket given without "NAME=": systemd names
// every fd of a socket unit after the unit, so the fds of one pool share a
// name unless told otherwise.
const DefaultName = "listen"

// maxNameLen is systemd's FDNAME_MAX.
const maxNameLen = 255

// maxUnixPath is the longest path that fits sockaddr_un.sun_path with its NUL.
const maxUnixPath = 107

// Spec is a parsed --listen value: "127.0.0.1:3000", "[::]:8080",
// ":3000", "unix:/run/x.sock" or "unix:@abstract", each optionally prefixed
// "NAME=".
type Spec struct {
	Name    string // the fd name (LISTEN_FDNAMES entry) workers see; "" means DefaultName
	Network string // "tcp" or "unix"
	Address string // "127.0.0.1:3000", "[::]:8080", ":3000" (all addresses, dual-stack), "/run/x.sock", "@name"
}

// String returns s in the form Parse reads: "NAME=ADDRESS".
func (s Spec) String() string {
	return s.FDName() + "=" + s.Addr()
}

// Addr is the address part of the --listen form.
func (s Spec) Addr() string {
	if s.Network == "unix" {
		return "unix:" + s.Address
	}
	return s.Address
}

// FDName is the fd name workers see: Name, else DefaultName.
func (s Spec) FDName() string {
	if s.Name == "" {
		return DefaultName
	}
	return s.Name
}

// errWantAddress is the usage hint of Parse's format errors.
var errWantAddress = errors.New("want HOST:PORT, [IPV6]:PORT, :PORT or unix:/PATH")

// Parse parses a --listen value. Hosts are IP addresses, not names;
// ports are 0 to 65535 (0: any free port); unix paths are absolute, or
// "@name" for an abstract socket.
func Parse(s string) (Spec, error) {
	spec := Spec{Name: DefaultName}
	addr := s
	// Every address holds a ':' and no name does, so a '=' before the first
	// ':' ends a name; a '=' later belongs to a unix path.
	if i := strings.IndexByte(s, '='); i >= 0 && !strings.Contains(s[:i], ":") {
		spec.Name, addr = s[:i], s[i+1:]
		if err := CheckName(spec.Name); err != nil {
			return Spec{}, fmt.Errorf("--listen %q: %w", s, err)
		}
	}
	var err error
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		spec.Network, spec.Address, err = "unix", path, CheckUnixPath(path)
	} else {
		spec.Network, spec.Address = "tcp", addr
		_, _, err = ParseInet(addr)
	}
	if err != nil {
		return Spec{}, fmt.Errorf("--listen %q: %w", s, err)
	}
	return spec, nil
}

// CheckName accepts the names Parse allows: letters, digits, '_', '-'
// and '.', at most 255 of them (a subset of systemd's fdname_is_valid).
func CheckName(name string) error {
	if name == "" {
		return errors.New("empty name before '='")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("name longer than %d bytes", maxNameLen)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("name %q: want letters, digits, '_', '-' or '.'", name)
		}
	}
	return nil
}

// CheckUnixPath accepts an absolute path or an abstract "@name" that fits
// sockaddr_un.
func CheckUnixPath(path string) error {
	switch {
	case path == "" || path == "@":
		return errors.New("empty unix socket path")
	case path[0] != '/' && path[0] != '@':
		return fmt.Errorf("unix socket path %q: want an absolute path or @name", path)
	case len(path) > maxUnixPath:
		return fmt.Errorf("unix socket path longer than %d bytes", maxUnixPath)
	}
	return nil
}

// ParseInet splits "HOST:PORT", "[IPV6]:PORT" or ":PORT". An empty host
// gives the zero netip.Addr, meaning all addresses.
func ParseInet(addr string) (netip.Addr, uint16, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return netip.Addr{}, 0, errWantAddress
	}
	host, portText := addr[:i], addr[i+1:]
	port, err := parsePort(portText)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if host == "" {
		return netip.Addr{}, port, nil
	}
	ip, err := parseHost(host)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	return ip, port, nil
}

// parseHost parses an IPv4 address or an IPv6 one in brackets.
func parseHost(host string) (netip.Addr, error) {
	inner, bracketed := strings.CutPrefix(host, "[")
	if bracketed {
		inner, bracketed = strings.CutSuffix(inner, "]")
		ip, err := netip.ParseAddr(inner)
		switch {
		case !bracketed || err != nil || !ip.Is6():
			return netip.Addr{}, fmt.Errorf("host %q: want an IPv6 address in brackets", host)
		case ip.Zone() != "":
			return netip.Addr{}, fmt.Errorf("host %q: IPv6 zones are not supported", host)
		}
		return ip, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("host %q: want an IPv4 address or an [IPv6] one, not a name", host)
	}
	return ip, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("port %q: %w", s, errWantAddress)
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %s out of range 0-65535", s)
	}
	return uint16(n), nil
}
