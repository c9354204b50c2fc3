package activation

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/poold/poold/internal/listenspec"
	"golang.org/x/sys/unix"
)

// BindError is the error of binding one ListenSpec.
type BindError struct {
	Spec ListenSpec
	Err  error // wraps the errno, e.g. syscall.EADDRINUSE
	// Holders, when Err is EADDRINUSE, are the processes listening on
	// the address, as far as /proc shows them.
	Holders []Holder
}

func (e *BindError) Error() string {
	msg := fmt.Sprintf("listen %q (name %q): %v", e.Spec.Addr(), e.Spec.FDName(), e.Err)
	if errors.Is(e.Err, unix.EADDRINUSE) {
		msg += ": " + inUseAdvice(e.Spec, e.Holders)
	}
	return msg
}

func (e *BindError) Unwrap() error { return e.Err }

// errPathNotSocket refuses to replace a file that is not a socket.
var errPathNotSocket = errors.New("path exists and is not a socket")

// Bind creates the sockets of specs itself, when systemd did not pass any:
// socket(2), SO_REUSEADDR, bind(2), listen(2) with backlog SOMAXCONN, as a
// socket unit's ListenStream= does. The fds are blocking, close-on-exec and
// poold's alone (not net.Listen's, which stay in Go's netpoller).
//
// An IPv6 address listens dual-stack (IPV6_V6ONLY off, like systemd's
// BindIPv6Only=default on a stock kernel); ":PORT" listens on [::], or on
// 0.0.0.0 where the kernel has no IPv6. A unix socket file that nobody
// listens on any more is replaced (a connect(2) tells); one somebody listens
// on is "in use", and a path that is not a socket is refused. Parent directories are not
// created. Closing a Socket leaves its file, as systemd's RemoveOnStop=no.
//
// Errors are *BindError naming the socket; on an error, the sockets already
// bound are closed.
func Bind(specs []ListenSpec, opts ...BindOption) ([]Socket, error) {
	socks := make([]Socket, 0, len(specs))
	for _, spec := range specs {
		s, err := bind(spec, slices.Contains(opts, SharePort))
		if err != nil {
			berr := &BindError{Spec: spec, Err: err}
			if errors.Is(err, unix.EADDRINUSE) {
				berr.Holders = holders(spec)
			}
			if cerr := CloseAll(socks); cerr != nil {
				return nil, errors.Join(berr, cerr)
			}
			return nil, berr
		}
		socks = append(socks, s)
	}
	return socks, nil
}

// BindOption changes how Bind creates sockets.
type BindOption int

const (
	// SharePort sets SO_REUSEPORT on TCP sockets, so that Replicate can add
	// sockets to their address (the balanced and sticky distributions).
	SharePort BindOption = iota + 1
)

func bind(spec ListenSpec, sharePort bool) (Socket, error) {
	name := spec.FDName()
	if err := listenspec.CheckName(name); err != nil {
		return Socket{}, err
	}
	var fd int
	var err error
	switch spec.Network {
	case "tcp":
		fd, err = listenInet(spec.Address, sharePort)
	case "unix":
		fd, err = listenUnix(spec.Address)
	default:
		return Socket{}, fmt.Errorf("network %q: want tcp or unix", spec.Network)
	}
	if err != nil {
		return Socket{}, err
	}
	s, err := newSocket(fd, name)
	if err != nil {
		unix.Close(fd)
		return Socket{}, err
	}
	s.Backlog = unix.SOMAXCONN // as listenOn set it: backlogOf reads TCP's only
	return s, nil
}

func listenInet(address string, sharePort bool) (int, error) {
	ip, port, err := listenspec.ParseInet(address)
	if err != nil {
		return -1, err
	}
	if ip.Is4() {
		return listenOn(unix.AF_INET, &unix.SockaddrInet4{Addr: ip.As4(), Port: int(port)}, sharePort)
	}
	if ip.Is6() {
		return listenOn(unix.AF_INET6, &unix.SockaddrInet6{Addr: ip.As16(), Port: int(port)}, sharePort)
	}
	fd, err := listenOn(unix.AF_INET6, &unix.SockaddrInet6{Port: int(port)}, sharePort)
	if errors.Is(err, unix.EAFNOSUPPORT) {
		return listenOn(unix.AF_INET, &unix.SockaddrInet4{Port: int(port)}, sharePort)
	}
	return fd, err
}

func listenUnix(path string) (int, error) {
	if err := listenspec.CheckUnixPath(path); err != nil {
		return -1, err
	}
	if path[0] == '/' {
		if err := removeStale(path); err != nil {
			return -1, err
		}
	}
	return listenOn(unix.AF_UNIX, &unix.SockaddrUnix{Name: path}, false)
}

// listenOn returns a blocking, close-on-exec socket listening on sa.
func listenOn(family int, sa unix.Sockaddr, sharePort bool) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := setOptions(fd, family); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if sharePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			unix.Close(fd)
			return -1, os.NewSyscallError("setsockopt SO_REUSEPORT", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

func setOptions(fd, family int) error {
	if family == unix.AF_UNIX {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	return nil
}

// removeStale removes the socket file at path if nobody listens on it.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return errPathNotSocket
	}
	live, err := unixListening(path)
	if err != nil {
		return err
	}
	if live {
		return fmt.Errorf("bind: %w (another socket listens on the path)", unix.EADDRINUSE)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// unixListening reports whether a socket is bound at path, by connecting:
// ECONNREFUSED means a stale file. A full backlog (EAGAIN) or a socket of
// another type (EPROTOTYPE) still means somebody has it.
func unixListening(path string) (bool, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	switch {
	case err == nil, errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EPROTOTYPE):
		return true, nil
	case errors.Is(err, unix.ECONNREFUSED), errors.Is(err, unix.ENOENT):
		return false, nil
	}
	return false, fmt.Errorf("probe %s: %w", path, os.NewSyscallError("connect", err))
}
