package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// startWatch makes the directory again whenever it is lost, until Remove.
func (d *Dir) startWatch() error {
	w, err := NewWatcher()
	if err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	if err := w.Watch(d.path); err != nil {
		w.Close()
		return fmt.Errorf("runtime directory: %w", err)
	}
	d.watcher, d.watched = w, make(chan struct{})
	go d.watch()
	return nil
}

func (d *Dir) watch() {
	defer close(d.watched)
	for {
		if err := d.watcher.Gone(); err != nil {
			return // closed by Remove
		}
		if err := d.remake(); err != nil {
			d.lost <- err
			return
		}
	}
}

// remake makes the directory again, with its lock and contents, if it is
// gone; rm -rf of BASE may remove it again meanwhile, then it tries again.
func (d *Dir) remake() error {
	for range maxRemakes {
		if d.intact() {
			return nil
		}
		root, err := OpenBase(d.base, d.uid)
		if err != nil {
			return err
		}
		err = d.makeAgain(root)
		root.Close()
		if err == nil {
			d.log.Warn("runtime directory was lost: made it again, with the workers' notify sockets", "dir", d.path)
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return fmt.Errorf("runtime directory %s: removed again %d times while being made", d.path, maxRemakes)
}

func (d *Dir) makeAgain(root *os.Root) error {
	name := filepath.Base(d.path)
	if err := root.Mkdir(name, 0o700); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	if err := d.watcher.Watch(d.path); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	if err := d.hold(root, name); err != nil {
		return err
	}
	d.mu.Lock()
	fills := slices.Clone(d.fills)
	d.mu.Unlock()
	for _, fill := range fills {
		if err := fill(); err != nil {
			return fmt.Errorf("runtime directory: %w", err)
		}
	}
	return nil
}

// intact reports whether path is still the directory poold made.
func (d *Dir) intact() bool {
	fi, err := os.Lstat(d.path)
	d.mu.Lock()
	defer d.mu.Unlock()
	return err == nil && os.SameFile(fi, d.made)
}

// Remove stops watching the directory and removes it, if it is still the
// one poold made, through BASE: nothing outside it is touched. The pool's
// name goes last: no namesake starts before this poold is gone.
func (d *Dir) Remove() (err error) {
	if d.watcher != nil {
		d.watcher.Close()
		<-d.watched
	}
	defer func() { err = errors.Join(err, d.releaseName()) }()
	defer d.lock.Close()
	if !d.intact() {
		return nil
	}
	root, err := os.OpenRoot(d.base)
	if err != nil {
		return fmt.Errorf("remove runtime directory: %w", err)
	}
	defer root.Close()
	if err := root.RemoveAll(filepath.Base(d.path)); err != nil {
		return fmt.Errorf("remove runtime directory: %w", err)
	}
	return nil
}
