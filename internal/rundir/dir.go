package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Dir holds the workers' notify sockets for one poold instance:
// BASE/NAME.PID, private to poold's user (0700), as poold trusts what
// arrives on those sockets. A private bus, which every local user must
// reach, goes beside it in BusDir.
//
// poold keeps it for its lifetime: when the directory is removed or moved
// away under it (systemd removes a RuntimeDirectory= that another unit
// shares when that unit stops), it is made again at the same path, locked,
// and filled again by the functions given to Keep.
type Dir struct {
	path string
	base string
	uid  int
	log  *slog.Logger

	name *NameLock // nil when the pool claims no name

	mu    sync.Mutex
	lock  *os.File    // flock held while poold runs
	made  fs.FileInfo // the directory at path
	fills []func() error

	watcher *Watcher
	watched chan struct{} // closed when watch returns
	lost    chan error    // the error that ended poold's hold on it
}

// Options say which runtime directory Make makes.
type Options struct {
	Base string // BASE; "" for Base(os.Getenv, os.Geteuid())
	Name string // the pool's
	// Namesake, when not nil, makes the pool the one of its name: Make
	// takes the name's lock in BASE (see LockName), then calls Namesake,
	// which returns an error if a pool of the name runs elsewhere (poold
	// looks on the buses poolctl searches). nil claims nothing: a pool
	// without a control plane.
	Namesake func() error
	// StaleBus is called with the stale bus directories Sweep removes.
	StaleBus func(dir string)
	Log      *slog.Logger
}

// maxRemakes bounds the attempts at making the directory again when it is
// removed again while being made (rm -rf of BASE still at work).
const maxRemakes = 10

// Make opens BASE, refused when unsafe (see OpenBase), removes what poolds
// no longer running left there (see Sweep), claims the pool's name (see
// Options.Namesake), and makes this instance's directory NAME.PID, locked
// for poold's lifetime. The lock, not the PID, tells a live directory from
// a stale one: PIDs mean nothing across PID namespaces sharing BASE.
func Make(opts Options) (*Dir, error) {
	base := opts.Base
	if base == "" {
		base = Base(os.Getenv, os.Geteuid())
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	d := &Dir{base: base, uid: os.Geteuid(), log: opts.Log, lost: make(chan error, 1)}
	root, err := OpenBase(base, d.uid)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	Sweep(root, opts.StaleBus, opts.Log)
	if d.name, err = claimName(root, opts.Name, opts.Namesake); err != nil {
		return nil, err
	}
	name := DirName(opts.Name, os.Getpid())
	err = root.Mkdir(name, 0o700)
	if errors.Is(err, fs.ErrExist) { // a namesake in another PID namespace (no claim stopped it)
		name += "." + strconv.FormatUint(rand.Uint64()%1e9, 10)
		err = root.Mkdir(name, 0o700)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("runtime directory: %w", err), d.releaseName())
	}
	d.path = filepath.Join(root.Name(), name)
	if err := d.hold(root, name); err != nil {
		return nil, errors.Join(err, root.RemoveAll(name), d.releaseName())
	}
	if err := d.startWatch(); err != nil {
		return nil, errors.Join(err, d.Remove())
	}
	return d, nil
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.path }

// hold locks the directory name in root that path names and records it.
func (d *Dir) hold(root *os.Root, name string) error {
	made, err := root.Lstat(name)
	if err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	lock, err := Lock(d.path)
	if err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lock != nil {
		d.lock.Close() // the lock of the directory that was lost
	}
	d.lock, d.made = lock, made
	return nil
}

// Keep runs fill, which writes something into the directory, now and again
// whenever the directory is made anew.
func (d *Dir) Keep(fill func() error) error {
	d.mu.Lock()
	d.fills = append(d.fills, fill)
	d.mu.Unlock()
	return fill()
}

// Lost delivers the error that made poold give up the directory: it was
// lost and could not be made again. poold then stops, and exits non-zero.
func (d *Dir) Lost() <-chan error { return d.lost }

// claimName makes sure that poolctl reaches this pool by its name: no
// other pool of the name may run where poolctl looks for pools, or poolctl
// would act on one of the two alone. It takes the name's lock in BASE, so
// that of two poolds started at once from the same BASE one alone goes on,
// then asks namesake about the other places.
func claimName(root *os.Root, name string, namesake func() error) (*NameLock, error) {
	if namesake == nil {
		return nil, nil
	}
	lock, err := LockName(root, name)
	var busy *NameBusyError
	if errors.As(err, &busy) {
		if err := namesake(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("another pool named %s is starting (%v): stop it, or give this one another --name", name, busy)
	}
	if err != nil {
		return nil, err
	}
	if err := namesake(); err != nil {
		return nil, errors.Join(err, lock.Release())
	}
	return lock, nil
}

// releaseName lets the pool's name go, once.
func (d *Dir) releaseName() error {
	if d.name == nil {
		return nil
	}
	err := d.name.Release()
	d.name = nil
	return err
}
