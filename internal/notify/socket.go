package notify

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Socket is one worker's notify socket: AF_UNIX SOCK_DGRAM with SO_PASSCRED,
// bound at a filesystem path or, for a path starting with '@', at an
// abstract name.
type Socket struct {
	conn *net.UnixConn
	path string
	file fs.FileInfo // the socket file bound at path; nil for an abstract name
	// accept, when set, is asked about each datagram's sender before the
	// datagram is parsed; see Accept.
	accept func(pid, uid int) bool
}

// Listen creates the socket at path. A stale socket file at path is removed
// first; any other kind of file there makes Listen fail.
//
// SO_PASSCRED is set before bind, so every datagram carries its sender's
// credentials. The socket file is made mode 0600 before Listen returns: only
// poold's user and root may send on it (and the directory holding it, which
// the caller creates, should be as private). Abstract names have no file and
// no access control beyond the network namespace.
func Listen(path string) (*Socket, error) {
	if path == "" {
		return nil, ErrNoPath
	}
	if err := removeStale(path); err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, os.NewSyscallError("socket", err))
	}
	f := os.NewFile(uintptr(fd), path) // owns fd from here on
	defer f.Close()
	file, err := bind(fd, path)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	c, err := net.FileConn(f) // a dup of fd, registered with the poller
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, errors.Join(err, removeFile(path)))
	}
	uc, ok := c.(*net.UnixConn)
	if !ok { // FileConn gives a *UnixConn for every AF_UNIX socket
		err := fmt.Errorf("listen %s: got %T", path, c)
		return nil, errors.Join(err, c.Close(), removeFile(path))
	}
	return &Socket{conn: uc, path: path, file: file}, nil
}

// bind turns on SO_PASSCRED, binds fd to path and makes the file 0600,
// whatever the umask. It returns the file it bound.
func bind(fd int, path string) (fs.FileInfo, error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		return nil, os.NewSyscallError("setsockopt SO_PASSCRED", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return nil, os.NewSyscallError("bind", err)
	}
	if abstract(path) {
		return nil, nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, errors.Join(err, removeFile(path))
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, errors.Join(err, removeFile(path))
	}
	return fi, nil
}

// removeStale removes a socket file left at path by an earlier run.
func removeStale(path string) error {
	if abstract(path) {
		return nil
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("remove stale socket: %w", &fs.PathError{Op: "lstat", Path: path, Err: unix.EEXIST})
	}
	return os.Remove(path)
}

func removeFile(path string) error {
	if abstract(path) {
		return nil
	}
	return os.Remove(path)
}

func abstract(path string) bool { return path != "" && path[0] == '@' }

// Path returns the path Listen was given, the value for a worker's
// NOTIFY_SOCKET.
func (s *Socket) Path() string { return s.path }

// Bound reports whether path still holds the file this socket was bound to:
// false once someone removed or replaced it. Always true for an abstract
// name.
func (s *Socket) Bound() bool {
	if s.file == nil {
		return true
	}
	fi, err := os.Lstat(s.path)
	return err == nil && os.SameFile(fi, s.file)
}

// Accept makes Receive refuse the datagrams whose sender accept turns down,
// given the sender's pid and uid from the kernel (-1 when absent). It is
// asked before the datagram's fds are closed, so that a sender waiting on
// them (systemd-notify's BARRIER=1) still runs. Call it before Receive.
func (s *Socket) Accept(accept func(pid, uid int) bool) { s.accept = accept }

// Close closes the socket, which unblocks a pending Receive, and removes the
// socket file if it is still this socket's. Closing twice returns an error
// wrapping net.ErrClosed.
func (s *Socket) Close() error {
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	if !s.Bound() {
		return nil // removed, or another socket is bound there now
	}
	if err := removeFile(s.path); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}
