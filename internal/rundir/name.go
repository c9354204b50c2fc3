package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// nameLockSuffix names the file BASE/NAME.lock whose flock the poold
// running pool NAME from BASE holds: two pools of one name in one base
// would hide each other from poolctl.
const nameLockSuffix = ".lock"

// maxLockTries bounds the attempts at locking a name whose file its
// holders keep removing as they leave.
const maxLockTries = 10

// maxNameLen is how much of a pool's name goes into its directory names,
// so that BASE/NAME.PID/wNNN.notify fits a socket path.
const maxNameLen = 24

// DirName is the name of the runtime directory of pool name run by poold
// pid: NAME.PID, NAME cut at 24 bytes.
func DirName(name string, pid int) string {
	return name[:min(len(name), maxNameLen)] + "." + strconv.Itoa(pid)
}

// MayBeOf reports whether dir, a runtime or bus directory's name, may be
// one of pool name's: a cut name can also be another pool's, so only the
// pool's bus tells for sure.
func MayBeOf(dir, name string) bool {
	dir = strings.TrimSuffix(dir, busSuffix)
	rest, ok := strings.CutPrefix(dir, name[:min(len(name), maxNameLen)]+".")
	if !ok {
		return false
	}
	pid, _, _ := strings.Cut(rest, ".") // NAME.PID.RANDOM in another PID namespace
	_, err := strconv.Atoi(pid)
	return err == nil
}

// NameLock is a pool name's lock in a base, held while its poold runs.
type NameLock struct {
	root *os.Root
	file string
	f    *os.File
}

// NameBusyError: another poold holds the name's lock.
type NameBusyError struct {
	Path string
	PID  int // the holder's, as it wrote it; 0 if unknown
}

func (e *NameBusyError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("another poold holds %s", e.Path)
	}
	return fmt.Sprintf("poold pid %d holds %s", e.PID, e.Path)
}

// LockName takes the lock of pool name in root, a base OpenBase opened,
// and writes poold's PID in it. It fails with a *NameBusyError when
// another process holds it. The file is removed by Release; one left by
// a poold killed with SIGKILL is taken over by the next.
func LockName(root *os.Root, name string) (*NameLock, error) {
	own, err := root.OpenRoot(".") // root may be closed before Release
	if err != nil {
		return nil, fmt.Errorf("pool name lock: %w", err)
	}
	l, err := lockName(own, name+nameLockSuffix)
	if err != nil {
		own.Close()
	}
	return l, err
}

func lockName(root *os.Root, file string) (*NameLock, error) {
	for range maxLockTries {
		f, err := root.OpenFile(file, os.O_CREATE|os.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("pool name lock: %w", err)
		}
		if err := flock(f); err != nil {
			pid := readPID(f)
			f.Close()
			path := filepath.Join(root.Name(), file)
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, &NameBusyError{Path: path, PID: pid}
			}
			return nil, fmt.Errorf("pool name lock %s: %w", path, err)
		}
		// The holder that just left may have removed the file before we
		// locked it: then the lock is of a file nobody else will open.
		if !sameFile(root, file, f) {
			f.Close()
			continue
		}
		if err := writePID(f); err != nil {
			return nil, errors.Join(err, root.Remove(file), f.Close())
		}
		return &NameLock{root: root, file: file, f: f}, nil
	}
	return nil, fmt.Errorf("pool name lock %s: removed again and again while being taken", file)
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("pool name lock: %w", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fmt.Errorf("pool name lock: %w", err)
	}
	return nil
}

// Release removes the lock's file, if it is still the one locked, and
// lets the lock go.
func (l *NameLock) Release() error {
	defer l.root.Close()
	defer l.f.Close()
	if !sameFile(l.root, l.file, l.f) {
		return nil
	}
	if err := l.root.Remove(l.file); err != nil {
		return fmt.Errorf("pool name lock: %w", err)
	}
	return nil
}

func sameFile(root *os.Root, name string, f *os.File) bool {
	at, err := root.Lstat(name)
	if err != nil {
		return false
	}
	held, err := f.Stat()
	return err == nil && os.SameFile(at, held)
}

func readPID(f *os.File) int {
	b := make([]byte, 16)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
