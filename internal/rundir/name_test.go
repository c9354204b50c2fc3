package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLockNameIsExclusiveAndNamesItsHolder(t *testing.T) {
	base := t.TempDir()
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	first, err := LockName(root, "web")
	if err != nil {
		t.Fatal(err)
	}
	root.Close() // the lock keeps a root of its own
	root, err = os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	_, err = LockName(root, "web")
	var busy *NameBusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second lock of a held name: %v, want a *NameBusyError", err)
	}
	if want := filepath.Join(base, "web.lock"); busy.Path != want || busy.PID != os.Getpid() {
		t.Errorf("busy: %+v, want path %s and pid %d", busy, want, os.Getpid())
	}
	other, err := LockName(root, "api")
	if err != nil {
		t.Fatalf("another name: %v", err)
	}
	defer other.Release()

	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(base, "web.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the released lock's file: %v, want it gone", err)
	}
	again, err := LockName(root, "web")
	if err != nil {
		t.Fatalf("a released name: %v", err)
	}
	again.Release()
}

// A file left by a poold killed with SIGKILL holds no lock: the next
// poold of that name takes it.
func TestLockNameTakesOverALeftFile(t *testing.T) {
	base := t.TempDir()
	must(t, os.WriteFile(filepath.Join(base, "web.lock"), []byte("99999\n"), 0o600))
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	l, err := LockName(root, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	data, err := os.ReadFile(filepath.Join(base, "web.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want this PID", got)
	}
}

func TestMayBeOf(t *testing.T) {
	long := strings.Repeat("a", 30)
	for _, tt := range []struct {
		give, name string
		want       bool
	}{
		{"web.12", "web", true},
		{"web.12.bus", "web", true},
		{"web.12.345", "web", true},
		{"web.x.12", "web", false},
		{"web.x.12", "web.x", true},
		{"webapp.12", "web", false},
		{"web.lock", "web", false},
		{long[:24] + ".7.bus", long, true},
		{long[:24] + ".7.bus", long[:25], true}, // only the bus tells these apart
	} {
		if got := MayBeOf(tt.give, tt.name); got != tt.want {
			t.Errorf("MayBeOf(%q, %q) = %v, want %v", tt.give, tt.name, got, tt.want)
		}
	}
	if got := DirName(long, 7); got != long[:24]+".7" {
		t.Errorf("DirName cuts to %q", got)
	}
}
