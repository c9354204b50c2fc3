package rundir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestBase(t *testing.T) {
	tests := []struct {
		name string
		give func(string) string
		uid  int
		want string
	}{
		{"systemd", env("RUNTIME_DIRECTORY", "/run/myapp:/run/other", "XDG_RUNTIME_DIR", "/run/user/1000"), 1000, "/run/myapp"},
		{"root", env("XDG_RUNTIME_DIR", "/run/user/0"), 0, "/run/poold"},
		{"user", env("XDG_RUNTIME_DIR", "/run/user/1000"), 1000, "/run/user/1000/poold"},
		{"no xdg", env("TMPDIR", "/var/tmp"), 1000, "/var/tmp/poold-1000"},
		{"nothing", env(), 1000, "/tmp/poold-1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Base(tt.give, tt.uid); got != tt.want {
				t.Errorf("Base = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBusDir(t *testing.T) {
	d := BusDir("/run/poold/app.12/")
	if d != "/run/poold/app.12.bus" {
		t.Fatalf("BusDir = %q", d)
	}
	if r, ok := RuntimeDirOf(d); !ok || r != "/run/poold/app.12" {
		t.Errorf("RuntimeDirOf(%q) = %q, %v", d, r, ok)
	}
	for _, give := range []string{"/run/poold/app.12", "/run/poold/.bus", ".bus"} {
		if r, ok := RuntimeDirOf(give); ok {
			t.Errorf("RuntimeDirOf(%q) = %q, true", give, r)
		}
	}
}

func TestSearchBasesUser(t *testing.T) {
	got := searchBases(env("XDG_RUNTIME_DIR", "/run/user/1000", "TMPDIR", "/var/tmp"), 1000, "/nonexistent")
	want := []string{
		"/run/user/1000/poold", "/run/poold", "/nonexistent/1000/poold",
		"/var/tmp/poold-1000", "/tmp/poold-1000",
	}
	if !slices.Equal(got, want) {
		t.Errorf("SearchBases =\n%q, want\n%q", got, want)
	}
}

// Root also finds the bases of other users, but only those owned by the
// user their path names.
func TestSearchBasesRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create directories owned by other users")
	}
	runUser, tmp := t.TempDir(), t.TempDir()
	mk := func(path string, uid int) {
		t.Helper()
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	mk(filepath.Join(runUser, "1000", "poold"), 1000)
	mk(filepath.Join(runUser, "65534", "poold"), 65534)
	mk(filepath.Join(runUser, "1001", "poold"), 1000) // not 1001's: skipped
	mk(filepath.Join(tmp, "poold-1000"), 1000)
	mk(filepath.Join(tmp, "poold-1002"), 1003) // squatted: skipped
	mk(filepath.Join(tmp, "poold-x"), 0)       // no uid: skipped
	if err := os.Symlink(filepath.Join(tmp, "poold-1000"), filepath.Join(tmp, "poold-1004")); err != nil {
		t.Fatal(err)
	}

	got := searchBases(env("TMPDIR", tmp), 0, runUser)
	want := []string{
		"/run/poold",
		filepath.Join(runUser, "1000", "poold"),
		filepath.Join(tmp, "poold-1000"),
		filepath.Join(runUser, "65534", "poold"),
	}
	// The real /tmp may hold other users' bases: only compare ours.
	var ours []string
	for _, b := range got {
		if b == "/run/poold" || filepath.Dir(b) == tmp || filepath.Dir(filepath.Dir(b)) == runUser {
			ours = append(ours, b)
		}
	}
	if !slices.Equal(ours, want) {
		t.Errorf("SearchBases =\n%q, want\n%q", ours, want)
	}
}

func TestBaseEnvOverridesEverything(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{BaseEnv: "/srv/pools", "RUNTIME_DIRECTORY": "/run/app", "XDG_RUNTIME_DIR": "/run/user/7"}[k]
	}
	for _, uid := range []int{0, 7} {
		if got := Base(getenv, uid); got != "/srv/pools" {
			t.Errorf("Base(uid %d) = %q, want $%s", uid, got, BaseEnv)
		}
		if got := SearchBases(getenv, uid); len(got) != 1 || got[0] != "/srv/pools" {
			t.Errorf("SearchBases(uid %d) = %q, want only $%s", uid, got, BaseEnv)
		}
	}
}

func TestUnitBasesAreTheDirectoriesWithoutALock(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"express", "express/express.12", "api", "web.7", "web.7.bus"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "web.7", LockFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got := unitBases(root)
	want := []string{filepath.Join(root, "api"), filepath.Join(root, "express")}
	if !slices.Equal(got, want) {
		t.Errorf("unitBases = %q, want %q", got, want)
	}
}
