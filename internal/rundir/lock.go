package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Lock takes the exclusive flock of dir/LockFile, creating the file (0600)
// if missing; a symbolic link there is refused. The lock lasts until the
// returned file is closed or the process ends. The file is close-on-exec,
// so that no child of poold keeps a dead poold's directory looking alive.
// It fails at once if another process holds the lock.
func Lock(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	fd, err := unix.Open(path, unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}

// Stale reports whether dir in root is stale: it has a LockFile that
// nobody holds. It then returns the file holding the lock, to close once
// dir is removed. A directory without LockFile is not judged: it belongs
// to something else, or its poold is just making it.
func Stale(root *os.Root, dir string) (*os.File, bool) {
	f, err := root.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	if flock(f) != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
