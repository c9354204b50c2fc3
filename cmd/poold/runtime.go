package main

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

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/rundir"
)

// runtimeDir holds the workers' notify sockets for one poold instance:
// BASE/NAME.PID, private to poold's user (0700), as poold trusts what
// arrives on those sockets. A private bus, which every local user must
// reach, goes beside it in rundir.BusDir (see internal/rundir).
//
// poold keeps it for its lifetime: when the directory is removed or moved
// away under it (systemd removes a RuntimeDirectory= that another unit
// shares when that unit stops), it is made again at the same path, locked,
// and filled again by the functions given to keep.
type runtimeDir struct {
	path string
	base string
	uid  int
	log  *slog.Logger

	name *rundir.NameLock // nil with --bus none

	mu    sync.Mutex
	lock  *os.File    // flock held while poold runs
	made  fs.FileInfo // the directory at path
	fills []func() error

	watcher *rundir.Watcher
	watched chan struct{} // closed when watch returns
	lost    chan error    // the error that ended poold's hold on it
}

// maxRemakes bounds the attempts at making the directory again when it is
// removed again while being made (rm -rf of BASE still at work).
const maxRemakes = 10

// newRuntimeDir opens BASE (--runtime-dir, else rundir.Base: systemd's
// RuntimeDirectory=, /run/poold for root, the user's XDG_RUNTIME_DIR, the
// temp dir), refused when unsafe, removes what poolds no longer running
// left there, claims the pool's name (see claimName), and makes this
// instance's directory NAME.PID, locked for poold's lifetime. The lock, not
// the PID, tells a live directory from a stale one: PIDs mean nothing
// across PID namespaces sharing BASE.
func newRuntimeDir(cfg config.Config, log *slog.Logger) (*runtimeDir, error) {
	base := cfg.RuntimeDir
	if base == "" {
		base = rundir.Base(os.Getenv, os.Geteuid())
	}
	d := &runtimeDir{base: base, uid: os.Geteuid(), log: log, lost: make(chan error, 1)}
	root, err := rundir.OpenBase(base, d.uid)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	rundir.Sweep(root, func(dir string) { killBus(dir, log) }, log)
	if d.name, err = claimName(root, cfg); err != nil {
		return nil, err
	}
	name := rundir.DirName(cfg.Name, os.Getpid())
	err = root.Mkdir(name, 0o700)
	if errors.Is(err, fs.ErrExist) { // a namesake in another PID namespace (--bus none: claimName let it be)
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
		return nil, errors.Join(err, d.remove())
	}
	return d, nil
}

// hold locks the directory name in root that path names and records it.
func (d *runtimeDir) hold(root *os.Root, name string) error {
	made, err := root.Lstat(name)
	if err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	lock, err := rundir.Lock(d.path)
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

// keep runs fill, which writes something into the directory, now and again
// whenever the directory is made anew.
func (d *runtimeDir) keep(fill func() error) error {
	d.mu.Lock()
	d.fills = append(d.fills, fill)
	d.mu.Unlock()
	return fill()
}

// Lost delivers the error that made poold give up the directory: it was
// lost and could not be made again. poold then stops, and exits non-zero.
func (d *runtimeDir) Lost() <-chan error { return d.lost }
