package activation

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is SD_LISTEN_FDS_START: systemd passes sockets from fd 3 on.
const listenFDsStart = 3

// UnknownName is the name of a passed fd that LISTEN_FDNAMES does not name,
// as sd_listen_fds_with_names(3) calls it.
const UnknownName = "unknown"

// listenEnv and notifyEnv are systemd's protocol variables, unset once read.
var (
	listenEnv = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}
	notifyEnv = []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}
)

// ErrNotListening is the error for a passed fd that is not a listening
// SOCK_STREAM socket.
var ErrNotListening = errors.New("not a listening stream socket")

// Passed is what systemd passed poold: the socket unit's sockets, and the
// ones a previous poold of the unit kept in the fd store (StoreFDs).
type Passed struct {
	Sockets []Socket // the socket unit's, in LISTEN_FDS order
	// Stored are the sockets named by SlotStoreName or ListenStoreName:
	// the caller takes back those it still wants and removes the rest from
	// the store (RemoveFDs), or systemd keeps them listening for nobody.
	Stored []Socket
	// Rejected are the stored fds that are not listening sockets: closed,
	// and still in systemd's store until RemoveFDs.
	Rejected []*StoredError
}

// StoredError is a stored fd that poold does not take back, and why.
type StoredError struct {
	Name string // its fd store name
	Err  error
}

func (e *StoredError) Error() string { return fmt.Sprintf("stored fd %q: %v", e.Name, e.Err) }
func (e *StoredError) Unwrap() error { return e.Err }

// FromEnvironment takes the sockets systemd passed, as sd_listen_fds(3)
// defines them: LISTEN_PID must equal our pid, LISTEN_FDS counts the fds
// from 3 on, LISTEN_FDNAMES names them, ':'-separated. It always unsets
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, like sd_listen_fds(true) and
// go-systemd's activation.Files(true), so they never reach a child.
//
// Not activated (LISTEN_PID or LISTEN_FDS unset, or LISTEN_PID another
// process's) is an empty Passed. A malformed LISTEN_PID or LISTEN_FDS is an
// error, as in sd_listen_fds. Each fd of the socket unit must be a
// listening SOCK_STREAM socket: any other is an error naming it, wrapping
// ErrNotListening; the sockets already taken are then closed and the rest
// left as they are. A stored fd that is not one is closed and reported in
// Rejected: the pool can do without it.
//
// LISTEN_FDNAMES that does not match LISTEN_FDS is tolerated, as by
// go-systemd (sd_listen_fds_with_names refuses it): systemd itself always
// sends one name per fd, but systemd-socket-activate --fdname does not, and
// a placeholder name is better than refusing to serve. An fd without a
// name, or with an empty one, is named UnknownName; extra names are ignored.
//
// The sockets are marked close-on-exec: poold passes them to workers itself.
func FromEnvironment() (Passed, error) {
	defer unsetenv(listenEnv)
	n, err := listenFDs()
	if err != nil || n == 0 {
		return Passed{}, err
	}
	names := fdNames(os.Getenv("LISTEN_FDNAMES"), n)
	var p Passed
	for i, name := range names {
		fd := listenFDsStart + i
		s, err := takeFD(fd, name)
		switch {
		case err != nil && isStoreName(name):
			unix.Close(fd)
			p.Rejected = append(p.Rejected, &StoredError{Name: name, Err: err})
		case err != nil:
			CloseAll(p.Sockets)
			CloseAll(p.Stored)
			return Passed{}, err
		case isStoreName(name):
			p.Stored = append(p.Stored, s)
		default:
			p.Sockets = append(p.Sockets, s)
		}
	}
	return p, nil
}

// listenFDs returns how many fds systemd passed to this process: 0 when none.
func listenFDs() (int, error) {
	pidText, fdsText := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	if pidText == "" || fdsText == "" {
		return 0, nil
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("LISTEN_PID=%q: want a process id", pidText)
	}
	if pid != os.Getpid() {
		return 0, nil
	}
	n, err := strconv.Atoi(fdsText)
	if err != nil || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("LISTEN_FDS=%q: want a positive count", fdsText)
	}
	return n, nil
}

// fdNames returns n names from LISTEN_FDNAMES, UnknownName where missing.
func fdNames(env string, n int) []string {
	names := make([]string, n)
	given := strings.Split(env, ":")
	for i := range names {
		names[i] = UnknownName
		if i < len(given) && given[i] != "" {
			names[i] = given[i]
		}
	}
	return names
}

// takeFD checks that fd is a listening stream socket and wraps it.
func takeFD(fd int, name string) (Socket, error) {
	if err := checkListening(fd); err != nil {
		return Socket{}, fmt.Errorf("socket %d %q: %w", fd, name, err)
	}
	unix.CloseOnExec(fd)
	s, err := newSocket(fd, name)
	if err != nil {
		return Socket{}, fmt.Errorf("socket %d %q: %w", fd, name, err)
	}
	return s, nil
}

func checkListening(fd int) error {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	switch {
	case errors.Is(err, unix.ENOTSOCK):
		return fmt.Errorf("%w (not a socket)", ErrNotListening)
	case err != nil:
		return os.NewSyscallError("getsockopt SO_TYPE", err)
	case typ != unix.SOCK_STREAM:
		return fmt.Errorf("%w (%s)", ErrNotListening, sockTypeName(typ))
	}
	listening, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	switch {
	case err != nil:
		return os.NewSyscallError("getsockopt SO_ACCEPTCONN", err)
	case listening == 0:
		return fmt.Errorf("%w (not listening)", ErrNotListening)
	}
	return nil
}

// StripEnv returns env ("KEY=value" entries) without systemd's protocol
// variables (LISTEN_*, NOTIFY_SOCKET, WATCHDOG_*), for building a child's
// environment from one that may still hold them.
func StripEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		key, _, _ := strings.Cut(kv, "=")
		if !isProtocolEnv(key) {
			out = append(out, kv)
		}
	}
	return out
}

func isProtocolEnv(key string) bool {
	return slices.Contains(listenEnv, key) || slices.Contains(notifyEnv, key)
}

// unsetenv unsets keys; os.Unsetenv cannot fail on unix.
func unsetenv(keys []string) {
	for _, k := range keys {
		os.Unsetenv(k)
	}
}
