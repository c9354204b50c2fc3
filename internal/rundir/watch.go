package rundir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watcher tells, with inotify, when the directory it watches is removed
// or moved away. It watches the directory's parent: the directory's own
// IN_DELETE_SELF comes only once nothing holds it (poold's lock and bound
// sockets in it do), while its parent's IN_DELETE comes at once.
type Watcher struct {
	f *os.File // non-blocking: Read waits in the runtime's poller, Close ends it

	mu   sync.Mutex
	wd   int    // the watch of the current directory's parent; -1 before Watch
	name string // the current directory's name in it
}

// NewWatcher returns a Watcher that watches nothing yet.
func NewWatcher() (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	return &Watcher{f: os.NewFile(uintptr(fd), "inotify"), wd: -1}, nil
}

// Watch watches dir from now on, instead of the directory watched so far.
// dir must exist: Watch fails with an error wrapping fs.ErrNotExist if it
// was removed meanwhile.
func (w *Watcher) Watch(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	parent, name := filepath.Split(filepath.Clean(dir))
	const events = unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF
	var wd int
	err := w.control(func(fd int) (err error) {
		wd, err = unix.InotifyAddWatch(fd, parent, events|unix.IN_ONLYDIR|unix.IN_DONT_FOLLOW)
		if err == nil && w.wd >= 0 && w.wd != wd {
			_, _ = unix.InotifyRmWatch(fd, uint32(w.wd)) // fails only if the kernel dropped it: it was gone
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, os.NewSyscallError("inotify_add_watch", err))
	}
	w.wd, w.name = wd, name
	if _, err := os.Lstat(dir); err != nil { // removed before the watch began
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	return nil
}

// control runs f on the inotify fd without putting it in blocking mode.
func (w *Watcher) control(f func(fd int) error) error {
	rc, err := w.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Gone waits until the watched directory is removed, moved away or its
// filesystem unmounted, or until the kernel's event queue overflowed (when
// it may have been). It returns an error wrapping os.ErrClosed after Close.
func (w *Watcher) Gone() error {
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return fmt.Errorf("inotify: %w", err)
		}
		if w.sawGone(buf[:n]) {
			return nil
		}
	}
}

// sawGone reports whether events tell that the current directory, or its
// parent, is gone.
func (w *Watcher) sawGone(events []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	const childGone = unix.IN_DELETE | unix.IN_MOVED_FROM
	const parentGone = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_IGNORED | unix.IN_UNMOUNT
	for len(events) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&events[0]))
		size := unix.SizeofInotifyEvent + int(ev.Len)
		if size > len(events) {
			return false
		}
		name := string(bytes.TrimRight(events[unix.SizeofInotifyEvent:size], "\x00"))
		switch {
		case ev.Mask&unix.IN_Q_OVERFLOW != 0:
			return true
		case int(ev.Wd) != w.wd:
		case ev.Mask&parentGone != 0, ev.Mask&childGone != 0 && name == w.name:
			return true
		}
		events = events[size:]
	}
	return false
}

// Close stops the watcher; Gone returns.
func (w *Watcher) Close() error {
	if err := w.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("inotify: %w", err)
	}
	return nil
}
