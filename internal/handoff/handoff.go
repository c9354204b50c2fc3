package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Version is the version of the state this build writes and the only one
// it reads.
const Version = 1

// The variables that hand the state over: the state's fd number; the fd
// of the binary that handed it over, for the fallback to exec; and why the
// new binary fell back, set only for the binary that takes over again.
const (
	EnvFD       = "POOLD_HANDOFF_FD"
	EnvBinary   = "POOLD_HANDOFF_BINARY"
	EnvFellBack = "POOLD_HANDOFF_FELL_BACK"
)

// seals are those Write sets: nothing may change the state once sealed.
const seals = unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK | unix.F_SEAL_SEAL

// maxState bounds what Read accepts: a pool's state is a few KiB.
const maxState = 16 << 20

// envelope is the document in the memfd.
type envelope struct {
	Version int             `json:"version"`
	State   json.RawMessage `json:"state"`
}

// VersionError is a state written by a poold whose format this one does
// not know.
type VersionError struct{ Got int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("handed state of version %d, this poold reads version %d only", e.Got, Version)
}

// Write returns a sealed memfd holding state as JSON, close-on-exec.
func Write(state any) (*os.File, error) {
	raw, err := json.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("handoff: encode state: %w", err)
	}
	doc, err := json.Marshal(envelope{Version: Version, State: raw})
	if err != nil {
		return nil, fmt.Errorf("handoff: encode state: %w", err)
	}
	fd, err := unix.MemfdCreate("poold-handoff", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", os.NewSyscallError("memfd_create", err))
	}
	f := os.NewFile(uintptr(fd), "poold-handoff")
	if _, err := f.Write(doc); err != nil {
		f.Close()
		return nil, fmt.Errorf("handoff: write state: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("handoff: seal state: %w", os.NewSyscallError("fcntl F_ADD_SEALS", err))
	}
	return f, nil
}

// Read decodes the state in f into state. f must be sealed as Write seals
// it; it is read from its start and left open.
func Read(f *os.File, state any) error {
	got, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil {
		return fmt.Errorf("handoff: %w", os.NewSyscallError("fcntl F_GET_SEALS", err))
	}
	if got&seals != seals {
		return errors.New("handoff: the state's memfd is not sealed")
	}
	doc, err := io.ReadAll(io.NewSectionReader(f, 0, maxState))
	if err != nil {
		return fmt.Errorf("handoff: read state: %w", err)
	}
	var env envelope
	if err := json.Unmarshal(doc, &env); err != nil {
		return fmt.Errorf("handoff: decode state: %w", err)
	}
	if env.Version != Version {
		return &VersionError{Got: env.Version}
	}
	if err := json.Unmarshal(env.State, state); err != nil {
		return fmt.Errorf("handoff: decode state: %w", err)
	}
	return nil
}

// FromEnv returns the state's memfd named by EnvFD in the environment,
// made close-on-exec again, and unsets EnvFD so that no child sees it;
// nil when poold was not started by an upgrade.
func FromEnv() (*os.File, error) {
	v, ok := os.LookupEnv(EnvFD)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(EnvFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("handoff: %s=%q: want an fd number above 2", EnvFD, v)
	}
	if err := Reclaim(fd); err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "poold-handoff"), nil
}

// Env is the environment variable that names f for the new process.
func Env(fd int) string { return EnvFD + "=" + strconv.Itoa(fd) }

// Inherit clears close-on-exec on fds, so that they survive the exec that
// follows at once. On error it has set the flag again on those it cleared.
func Inherit(fds []int) error {
	for i, fd := range fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			Disinherit(fds[:i])
			return fmt.Errorf("handoff: keep fd %d open across exec: %w", fd, os.NewSyscallError("fcntl", err))
		}
	}
	return nil
}

// Disinherit makes fds close-on-exec again: after an exec that failed.
func Disinherit(fds []int) {
	for _, fd := range fds {
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	}
}

// Reclaim makes an fd handed over close-on-exec again, and checks that it
// is open.
func Reclaim(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("handoff: fd %d: %w", fd, os.NewSyscallError("fcntl", err))
	}
	return nil
}

// FD is the fd under c (a net.Conn or an *os.File), for naming it in the
// state; c still owns it. It fails once c is closed.
func FD(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
}
