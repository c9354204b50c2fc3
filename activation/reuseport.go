package activation

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ReusePort reports whether s has SO_REUSEPORT set, so that more sockets
// can join its address as a group.
func ReusePort(s Socket) (bool, error) {
	var on int
	var optErr error
	err := control(s, func(fd int) {
		on, optErr = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT)
	})
	if err == nil {
		err = optErr
	}
	if err != nil {
		return false, fmt.Errorf("socket %q: getsockopt SO_REUSEPORT: %w", s.Name, err)
	}
	return on != 0, nil
}

// Replicate opens a new listening socket on s's address that joins s's
// SO_REUSEPORT group: same family, IPV6_V6ONLY and backlog, blocking
// and close-on-exec like the sockets Bind returns. The kernel only groups
// the sockets of one user, so the caller must run as the user that
// created s.
func Replicate(s Socket) (Socket, error) {
	var family, v6only int
	var sa unix.Sockaddr
	var optErr error
	err := control(s, func(fd int) {
		if family, optErr = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); optErr != nil {
			return
		}
		if family == unix.AF_INET6 {
			if v6only, optErr = unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); optErr != nil {
				return
			}
		}
		sa, optErr = unix.Getsockname(fd)
	})
	if err == nil {
		err = optErr
	}
	if err != nil {
		return Socket{}, fmt.Errorf("socket %q: %w", s.Name, err)
	}
	if family != unix.AF_INET && family != unix.AF_INET6 {
		return Socket{}, fmt.Errorf("socket %q (%s): only TCP sockets can be replicated", s.Name, s.Addr)
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return Socket{}, os.NewSyscallError("socket", err)
	}
	if err := replicaOptions(fd, family, v6only); err != nil {
		unix.Close(fd)
		return Socket{}, fmt.Errorf("socket %q: %w", s.Name, err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return Socket{}, fmt.Errorf("socket %q: bind a replica to %s: %w (is SO_REUSEPORT set on it, and was it created by this user?)",
			s.Name, s.Addr, os.NewSyscallError("bind", err))
	}
	backlog := s.Backlog
	if backlog <= 0 {
		backlog = unix.SOMAXCONN
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return Socket{}, os.NewSyscallError("listen", err)
	}
	r, err := newSocket(fd, s.Name)
	if err != nil {
		unix.Close(fd)
	}
	r.Backlog = backlog
	return r, err
}

func replicaOptions(fd, family, v6only int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	return nil
}

// control runs f on s's fd without changing the fd's blocking mode (as
// File.Fd would).
func control(s Socket, f func(fd int)) error {
	rc, err := s.File.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { f(int(fd)) })
}
