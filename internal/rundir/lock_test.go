package rundir

import (
	"os"
	"path/filepath"
	"testing"
)

// appDir makes the directory app.1 in a base of its own, open as root.
func appDir(t *testing.T) (root *os.Root, dir string) {
	t.Helper()
	base := t.TempDir()
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	dir = filepath.Join(base, "app.1")
	must(t, os.Mkdir(dir, 0o700))
	return root, dir
}

func TestLockAndStale(t *testing.T) {
	root, dir := appDir(t)
	if _, stale := Stale(root, "app.1"); stale {
		t.Error("a directory without a lock is stale")
	}
	lock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil {
		t.Error("a held lock was taken again")
	}
	if _, stale := Stale(root, "app.1"); stale {
		t.Error("a held lock is stale")
	}
	lock.Close()
	held, stale := Stale(root, "app.1")
	if !stale {
		t.Fatal("a released lock is not stale")
	}
	if _, err := Lock(dir); err == nil {
		t.Error("Lock took a lock Stale holds")
	}
	held.Close()
}

// A lock file that is a symbolic link is neither followed nor judged.
func TestLockRefusesSymlink(t *testing.T) {
	root, dir := appDir(t)
	target := filepath.Join(filepath.Dir(dir), "elsewhere")
	must(t, os.WriteFile(target, nil, 0o600))
	must(t, os.Symlink(target, filepath.Join(dir, LockFile)))
	if f, err := Lock(dir); err == nil {
		f.Close()
		t.Error("Lock followed a symbolic link")
	}
	if _, stale := Stale(root, "app.1"); stale {
		t.Error("Stale followed a symbolic link")
	}
}
