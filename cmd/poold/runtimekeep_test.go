package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/testbound"
)

// A runtime directory removed under poold is made again, locked, with what
// poold keeps in it; remove then takes it away.
func TestRuntimeDirIsMadeAgainWithWhatItKeeps(t *testing.T) {
	base := t.TempDir()
	t.Setenv(rundir.BaseEnv, base) // where it looks for pools of its name: not the host's
	d, err := newRuntimeDir(config.Config{Name: "app", RuntimeDir: base}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	filled := make(chan struct{}, 4)
	err = d.keep(func() error {
		defer func() { filled <- struct{}{} }()
		return os.WriteFile(filepath.Join(d.path, "kept"), nil, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	<-filled
	for _, lose := range []func(string) error{os.RemoveAll, func(dir string) error { return os.Rename(dir, dir+".moved") }} {
		if err := lose(d.path); err != nil {
			t.Fatal(err)
		}
		select {
		case <-filled:
		case err := <-d.Lost():
			t.Fatalf("lost for good: %v", err)
		case <-time.After(testbound.Scale(20 * time.Second)):
			t.Fatal("not made again")
		}
		if _, err := os.Stat(filepath.Join(d.path, "kept")); err != nil {
			t.Errorf("what poold keeps in it: %v", err)
		}
		root, err := os.OpenRoot(base)
		if err != nil {
			t.Fatal(err)
		}
		if lock, stale := rundir.Stale(root, filepath.Base(d.path)); stale {
			lock.Close()
			t.Error("made again without its lock held")
		}
		root.Close()
	}
	if err := d.remove(); err != nil {
		t.Fatal(err)
	}
	if exists(d.path) || !exists(d.path+".moved") {
		t.Errorf("remove: %s should be gone, %s.moved, not poold's any more, left", d.path, d.path)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
