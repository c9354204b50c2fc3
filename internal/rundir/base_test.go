package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenBaseCreates(t *testing.T) {
	base := filepath.Join(t.TempDir(), "parent", "base")
	root, err := OpenBase(base, os.Geteuid())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	fi, err := os.Lstat(base)
	if err != nil {
		t.Fatal(err)
	}
	if want := BaseMode(os.Geteuid()); !fi.IsDir() || fi.Mode().Perm() != want {
		t.Errorf("created %v, want a directory %v", fi.Mode(), want)
	}
	if root, err := OpenBase(base, os.Geteuid()); err != nil { // and opens it again
		t.Errorf("second OpenBase: %v", err)
	} else {
		root.Close()
	}
}

func TestBaseMode(t *testing.T) {
	if BaseMode(0) != 0o755 || BaseMode(1000) != 0o700 {
		t.Errorf("BaseMode = %v for root, %v for others; want 0755, 0700", BaseMode(0), BaseMode(1000))
	}
}

// A base another user could have planted or can write is refused, with an
// error that names it, the problem and the fix.
func TestOpenBaseRefusesUnsafe(t *testing.T) {
	uid := os.Geteuid()
	tests := []struct {
		name    string
		make    func(t *testing.T, base string)
		problem string
	}{
		{"symlink", func(t *testing.T, base string) { must(t, os.Symlink(t.TempDir(), base)) }, "is a symbolic link"},
		{"file", func(t *testing.T, base string) { must(t, os.WriteFile(base, nil, 0o600)) }, "is not a directory"},
		{"writable", func(t *testing.T, base string) { must(t, os.Mkdir(base, 0o700)); must(t, os.Chmod(base, 0o777)) },
			"is writable by group or others (mode 0777)"},
		{"group writable", func(t *testing.T, base string) { must(t, os.Mkdir(base, 0o700)); must(t, os.Chmod(base, 0o770)) },
			"is writable by group or others (mode 0770)"},
		{"parent not sticky", func(t *testing.T, base string) {
			must(t, os.Chmod(filepath.Dir(base), 0o777))
			must(t, os.Mkdir(base, 0o700))
		}, "which others can write and which is not sticky"},
	}
	if uid == 0 {
		tests = append(tests, struct {
			name    string
			make    func(t *testing.T, base string)
			problem string
		}{"other owner", func(t *testing.T, base string) { must(t, os.Mkdir(base, 0o700)); must(t, os.Chown(base, 65534, 65534)) },
			"is owned by uid 65534"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "poold-1000")
			tt.make(t, base)
			root, err := OpenBase(base, uid)
			var unsafe *UnsafeBaseError
			if !errors.As(err, &unsafe) {
				root.Close()
				t.Fatalf("OpenBase = %v, want an UnsafeBaseError", err)
			}
			for _, want := range []string{base, tt.problem, "XDG_RUNTIME_DIR", "--runtime-dir", BaseEnv} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// /tmp is writable by all and sticky: nobody can rename another's base.
func TestOpenBaseInStickyParent(t *testing.T) {
	parent := t.TempDir()
	must(t, os.Chmod(parent, 0o777|os.ModeSticky))
	root, err := OpenBase(filepath.Join(parent, "poold-1000"), os.Geteuid())
	if err != nil {
		t.Fatal(err)
	}
	root.Close()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
