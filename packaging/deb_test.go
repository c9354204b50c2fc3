package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debList parses dpkg-deb -c: files and directories with mode and owner.
func debList(t *testing.T, deb string) (files, dirs map[string]entry) {
	t.Helper()
	files, dirs = map[string]entry{}, map[string]entry{}
	for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		// -rw-r--r-- root/root  2134 2026-11-25 19:16 ./usr/share/...
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Fatalf("dpkg-deb -c: unexpected line %q", line)
		}
		e := entry{mode: f[0], owner: f[1]}
		path := strings.TrimPrefix(f[5], ".")
		if strings.HasSuffix(path, "/") {
			dirs[strings.TrimSuffix(path, "/")] = e
		} else {
			files[path] = e
		}
	}
	return files, dirs
}

func TestDebContents(t *testing.T) {
	need(t, "dpkg-deb")
	p := packages(t)
	files, dirs := debList(t, p.deb)

	want := wantFiles(t, "/usr/share/zsh/vendor-completions")
	want["/usr/share/lintian/overrides/poold"] = "-rw-r--r--"
	want["/usr/lib/python3/dist-packages/poold.py"] = "-rw-r--r--" // import poold with Debian's python3
	checkFiles(t, files, want, "root/root")

	for _, d := range wantDirs {
		if e, ok := dirs[d]; !ok || e.mode != "drwxr-xr-x" || e.owner != "root/root" {
			t.Errorf("directory %s: %+v, present %v; want drwxr-xr-x root/root", d, e, ok)
		}
	}
	for d, e := range dirs {
		if e.mode != "drwxr-xr-x" || e.owner != "root/root" {
			t.Errorf("directory %s: %s %s, want drwxr-xr-x root/root", d, e.mode, e.owner)
		}
	}
}

func TestDebControl(t *testing.T) {
	need(t, "dpkg-deb")
	p := packages(t)
	info := run(t, "dpkg-deb", "-I", p.deb)

	fields := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, " "), ": "); ok && !strings.HasPrefix(line, "  ") {
			fields[k] = v
		}
	}
	for k, v := range map[string]string{
		"Package":      "poold",
		"Version":      testVersion,
		"Architecture": wantArch(t, 0),
		"Section":      "admin",
		"Priority":     "optional",
		"Recommends":   "dbus",
	} {
		if fields[k] != v {
			t.Errorf("control %s: %q, want %q", k, fields[k], v)
		}
	}
	for _, k := range []string{"Depends", "Pre-Depends"} {
		if v, ok := fields[k]; ok {
			t.Errorf("control %s: %q; poold needs nothing at run time", k, v)
		}
	}
	for _, k := range []string{"Maintainer", "Installed-Size", "Homepage", "Description"} {
		if fields[k] == "" {
			t.Errorf("control %s missing", k)
		}
	}

	// The maintainer scripts, executable and as written in packaging/deb.
	control := t.TempDir()
	run(t, "dpkg-deb", "-e", p.deb, control)
	for _, name := range []string{"postinst", "prerm", "postrm"} {
		if !strings.Contains(info, "*  "+name) {
			t.Errorf("dpkg-deb -I lists no executable %s:\n%s", name, info)
		}
		got, err := os.ReadFile(filepath.Join(control, name))
		if err != nil {
			t.Error(err)
			continue
		}
		src, _ := os.ReadFile(filepath.Join(repoRoot(t), "packaging/deb", name))
		if !bytes.Equal(got, src) {
			t.Errorf("%s differs from packaging/deb/%s", name, name)
		}
		if fi, err := os.Stat(filepath.Join(control, name)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", name, fi.Mode())
		}
	}
	for _, name := range []string{"preinst", "conffiles"} {
		if _, err := os.Stat(filepath.Join(control, name)); err == nil {
			t.Errorf("unexpected control member %s", name)
		}
	}
	if _, err := os.Stat(filepath.Join(control, "md5sums")); err != nil {
		t.Error("no md5sums")
	}
}

// The binaries report the package's version, and are static (no libc
// dependency to declare).
func TestDebBinaries(t *testing.T) {
	need(t, "dpkg-deb")
	p := packages(t)
	root := t.TempDir()
	run(t, "dpkg-deb", "-x", p.deb, root)
	for _, bin := range []string{"poold", "poolctl"} {
		out := run(t, filepath.Join(root, "usr/bin", bin), "--version")
		if want := bin + " " + testVersion + "\n"; out != want {
			t.Errorf("%s --version: %q, want %q", bin, out, want)
		}
		if ldd, err := exec.Command("ldd", filepath.Join(root, "usr/bin", bin)).CombinedOutput(); err == nil {
			t.Errorf("%s is dynamically linked:\n%s", bin, ldd)
		}
	}
	changelog := run(t, "sh", "-c", `gzip -dc "$1"`, "sh", filepath.Join(root, "usr/share/doc/poold/changelog.gz"))
	if !strings.HasPrefix(changelog, "poold ("+testVersion+") ") {
		t.Errorf("changelog does not start with this version:\n%s", changelog)
	}
}

// lintian finds no error and no warning that packaging/deb/lintian-overrides
// does not explain.
func TestLintian(t *testing.T) {
	need(t, "dpkg-deb", "lintian")
	p := packages(t)
	cmd := exec.Command("lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", p.deb)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	} else if len(out) > 0 {
		t.Logf("lintian:\n%s", out)
	}
}
