package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// gone waits for w.Gone in the background.
func gone(w *Watcher) <-chan error {
	c := make(chan error, 1)
	go func() { c <- w.Gone() }()
	return c
}

func waitGone(t *testing.T, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(testbound.Scale(20 * time.Second)):
		t.Fatal("Gone did not return")
		return nil
	}
}

func TestWatcherSeesRemovalAndMove(t *testing.T) {
	for name, lose := range map[string]func(dir string) error{
		"rm -rf": os.RemoveAll,
		"mv":     func(dir string) error { return os.Rename(dir, dir+".moved") },
	} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "app.1")
			must(t, os.Mkdir(dir, 0o700))
			lock, err := Lock(dir) // an open file in it, as poold's
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Close()
			must(t, os.Mkdir(filepath.Join(base, "other.2"), 0o700))
			w, err := NewWatcher()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			must(t, w.Watch(dir))
			c := gone(w)
			must(t, os.Remove(filepath.Join(base, "other.2"))) // not its business
			must(t, lose(dir))
			if err := waitGone(t, c); err != nil {
				t.Fatalf("Gone = %v", err)
			}
			// Made again and watched again: only its own loss counts.
			must(t, os.Mkdir(dir, 0o700))
			must(t, w.Watch(dir))
			c = gone(w)
			must(t, os.RemoveAll(dir))
			if err := waitGone(t, c); err != nil {
				t.Fatalf("Gone after the second loss = %v", err)
			}
		})
	}
}

func TestWatcherCloseEndsGone(t *testing.T) {
	w, err := NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.Watch(t.TempDir()))
	c := gone(w)
	must(t, w.Close())
	if err := waitGone(t, c); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Gone after Close = %v, want os.ErrClosed", err)
	}
}
