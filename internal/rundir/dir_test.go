package rundir_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/testbound"
)

// A runtime directory removed under poold is made again, locked, with what
// poold keeps in it; Remove then takes it away.
func TestRuntimeDirIsMadeAgainWithWhatItKeeps(t *testing.T) {
	base := t.TempDir()
	d, err := rundir.Make(rundir.Options{Base: base, Name: "app", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	filled := make(chan struct{}, 4)
	err = d.Keep(func() error {
		defer func() { filled <- struct{}{} }()
		return os.WriteFile(filepath.Join(d.Path(), "kept"), nil, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	<-filled
	for _, lose := range []func(string) error{os.RemoveAll, func(dir string) error { return os.Rename(dir, dir+".moved") }} {
		if err := lose(d.Path()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-filled:
		case err := <-d.Lost():
			t.Fatalf("lost for good: %v", err)
		case <-time.After(testbound.Scale(20 * time.Second)):
			t.Fatal("not made again")
		}
		if _, err := os.Stat(filepath.Join(d.Path(), "kept")); err != nil {
			t.Errorf("what poold keeps in it: %v", err)
		}
		root, err := os.OpenRoot(base)
		if err != nil {
			t.Fatal(err)
		}
		if lock, stale := rundir.Stale(root, filepath.Base(d.Path())); stale {
			lock.Close()
			t.Error("made again without its lock held")
		}
		root.Close()
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if exists(d.Path()) || !exists(d.Path()+".moved") {
		t.Errorf("Remove: %s should be gone, %s.moved, not poold's any more, left", d.Path(), d.Path())
	}
}

// Make claims the pool's name: a second pool of the name in the same base
// is refused while the first runs, a namesake found elsewhere refuses it
// too, and a pool that claims nothing (Namesake nil) is let be.
func TestMakeClaimsTheName(t *testing.T) {
	base := t.TempDir()
	none := func() error { return nil }
	first, err := rundir.Make(rundir.Options{Base: base, Name: "app", Namesake: none})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Remove()
	if d, err := rundir.Make(rundir.Options{Base: base, Name: "app", Namesake: none}); err == nil || !strings.Contains(err.Error(), "another pool named app is starting") {
		t.Errorf("a second app in the same base: %v; want refused", err)
		if d != nil {
			d.Remove()
		}
	}
	elsewhere := errors.New("another pool named web is running")
	if _, err := rundir.Make(rundir.Options{Base: base, Name: "web", Namesake: func() error { return elsewhere }}); !errors.Is(err, elsewhere) {
		t.Errorf("web with a namesake elsewhere: %v; want %v", err, elsewhere)
	}
	web, err := rundir.Make(rundir.Options{Base: base, Name: "web", Namesake: none})
	if err != nil {
		t.Fatalf("web once its namesake is gone: %v", err)
	}
	defer web.Remove()
	unclaimed, err := rundir.Make(rundir.Options{Base: base, Name: "app"})
	if err != nil {
		t.Fatalf("an app that claims no name: %v", err)
	}
	unclaimed.Remove()
}
