package rundir_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/poold/poold/internal/rundir"
)

// A runtime directory handed over across an upgrade keeps its locks: no
// sweep finds it stale and its name stays claimed; the poold that resumes
// it removes it, and lets the name go, as the one that made it would.
func TestHandedRuntimeDirKeepsItsLocks(t *testing.T) {
	base := t.TempDir()
	opts := rundir.Options{Base: base, Name: "app", Namesake: func() error { return nil }, Log: slog.New(slog.DiscardHandler)}
	d, err := rundir.Make(opts)
	if err != nil {
		t.Fatal(err)
	}
	h, err := d.HandOver()
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	name := filepath.Base(h.Path)
	if f, stale := rundir.Stale(root, name); stale {
		f.Close()
		t.Fatal("a handed directory looks stale")
	}
	var busy *rundir.NameBusyError
	if _, err := rundir.LockName(root, "app"); !errors.As(err, &busy) {
		t.Fatalf("the name's lock of a handed directory: %v, want it held", err)
	}

	resumed, err := rundir.Resume(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Path() != d.Path() {
		t.Errorf("resumed %s, want %s", resumed.Path(), d.Path())
	}
	if err := resumed.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
	l, err := rundir.LockName(root, "app")
	if err != nil {
		t.Fatalf("the name after Remove: %v", err)
	}
	l.Release()

	if _, err := rundir.Resume(rundir.Options{Base: t.TempDir()}, h); err == nil {
		t.Error("Resume of a directory from another base: no error")
	}
}
