package activation

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Socket is one listening socket the pool serves on, open for poold's whole
// lifetime.
type Socket struct {
	Name    string   // fd name (LISTEN_FDNAMES entry, or the --listen name); never contains ':'
	File    *os.File // the fd, close-on-exec; blocking mode as systemd gave it, blocking when bound by Bind
	Network string   // "tcp", "tcp6", "unix" (or "vsock" from systemd), read back from the fd (SO_DOMAIN)
	Addr    string   // "127.0.0.1:3000", "[::]:8080", "/run/x.sock", "@abstract", read back from the fd (getsockname)
	// Backlog is the backlog poold keeps on the socket (RestoreBacklog):
	// SOMAXCONN on those Bind makes, what a TCP socket had when poold took
	// it from systemd (the unit's Backlog=), 0 (unknown) for a unix socket
	// from systemd.
	Backlog int
}

// Inode returns the socket's inode number, which names it in another
// process's /proc/PID/fd ("socket:[INODE]").
func (s Socket) Inode() (uint64, error) {
	fi, err := s.File.Stat()
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no inode", s.File.Name())
	}
	return st.Ino, nil
}

// CloseAll closes every socket, returning the errors joined.
func CloseAll(socks []Socket) error {
	var errs []error
	for _, s := range socks {
		if err := s.File.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close socket %q (%s): %w", s.Name, s.Addr, err))
		}
	}
	return errors.Join(errs...)
}

// newSocket wraps a listening socket's fd, reading its network and address
// back from the kernel.
func newSocket(fd int, name string) (Socket, error) {
	network, err := sockNetwork(fd)
	if err != nil {
		return Socket{}, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return Socket{}, os.NewSyscallError("getsockname", err)
	}
	f, err := wrapFD(fd, name)
	if err != nil {
		return Socket{}, err
	}
	return Socket{Name: name, File: f, Network: network, Addr: sockaddrString(sa), Backlog: backlogOf(fd)}, nil
}

// wrapFD returns fd as an *os.File that Go's netpoller leaves alone, with
// fd's O_NONBLOCK flag as it was. os.NewFile registers a non-blocking fd
// with the netpoller, which would wake poold for connections only its
// workers accept; so a non-blocking fd is wrapped while briefly blocking.
func wrapFD(fd int, name string) (*os.File, error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	if flags&unix.O_NONBLOCK == 0 {
		return os.NewFile(uintptr(fd), name), nil
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_NONBLOCK); err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags); err != nil {
		f.Close()
		return nil, os.NewSyscallError("fcntl", err)
	}
	return f, nil
}

func sockNetwork(fd int) (string, error) {
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return "", os.NewSyscallError("getsockopt SO_DOMAIN", err)
	}
	switch domain {
	case unix.AF_INET:
		return "tcp", nil
	case unix.AF_INET6:
		return "tcp6", nil
	case unix.AF_UNIX:
		return "unix", nil
	case unix.AF_VSOCK:
		return "vsock", nil
	}
	return "", fmt.Errorf("unsupported socket family %d", domain)
}

func sockaddrString(sa unix.Sockaddr) string {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(sa.ZoneId), 10))
		}
		return netip.AddrPortFrom(ip, uint16(sa.Port)).String()
	case *unix.SockaddrUnix:
		return sa.Name // "@name" for abstract sockets, "" for unnamed ones
	case *unix.SockaddrVM:
		return fmt.Sprintf("vsock:%d:%d", sa.CID, sa.Port)
	}
	return fmt.Sprintf("%T", sa)
}

// sockTypeName names a SO_TYPE value for error messages.
func sockTypeName(typ int) string {
	switch typ {
	case unix.SOCK_STREAM:
		return "SOCK_STREAM"
	case unix.SOCK_DGRAM:
		return "SOCK_DGRAM"
	case unix.SOCK_SEQPACKET:
		return "SOCK_SEQPACKET"
	case unix.SOCK_RAW:
		return "SOCK_RAW"
	}
	return "socket type " + strconv.Itoa(typ)
}
