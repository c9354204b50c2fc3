package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// testVersion is the version the tests build with (make VERSION=...); the
// version derived from git is tested on its own (version_test.go).
const testVersion = "1.2.3~test4"

// built are the packages that make deb rpm produced, built once for all tests.
type built struct {
	dir   string // DIST: the packages and stage/
	deb   string
	rpm   string
	units string // the unit files packaged: units/ or placeholders
}

var (
	buildOnce sync.Once
	buildRes  *built
	buildErr  error
	tempDirs  []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// repoRoot is the top of the tree: the tests run in packaging/.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// need skips the test when a tool is missing.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs the tools the package tests use)", tool)
		}
	}
}

// packages builds the .deb and the .rpm with the Makefile, once.
func packages(t *testing.T) *built {
	t.Helper()
	need(t, "make", "git", "gzip")
	buildOnce.Do(func() { buildRes, buildErr = build(repoRoot(t)) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildRes
}

func build(root string) (*built, error) {
	dir, err := os.MkdirTemp("", "poold-packages-")
	if err != nil {
		return nil, err
	}
	tempDirs = append(tempDirs, dir)
	units, err := unitsDir(root, dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("make", "-C", root, "deb", "rpm",
		"DIST="+dir, "UNITS="+units, "VERSION="+testVersion)
	// Not the jobserver of a make that runs go test (make test).
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") ||
			strings.HasPrefix(kv, "MAKELEVEL=")
	})
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make deb rpm: %v\n%s", err, out)
	}
	b := &built{dir: dir, units: units}
	debs, _ := filepath.Glob(filepath.Join(dir, "poold_*.deb"))
	rpms, _ := filepath.Glob(filepath.Join(dir, "poold-*.rpm"))
	if len(debs) != 1 || len(rpms) != 1 {
		return nil, fmt.Errorf("make deb rpm made %q and %q, want one of each", debs, rpms)
	}
	b.deb, b.rpm = debs[0], rpms[0]
	return b, nil
}

// unitFiles are the files of units/ that the packages ship.
var unitFiles = []string{"poold@.service", "poold@.socket", "examples/myapp.socket", "examples/myapp.service", "examples/myapp.conf"}

// unitsDir is units/ when all its files are there, else a directory of
// placeholders beside the packages (units/ is written by someone else).
func unitsDir(root, dir string) (string, error) {
	complete := true
	for _, f := range unitFiles {
		if _, err := os.Stat(filepath.Join(root, "units", f)); err != nil {
			complete = false
		}
	}
	if complete {
		return filepath.Join(root, "units"), nil
	}
	fmt.Fprintln(os.Stderr, "packaging tests: units/ is incomplete: packaging placeholder unit files")
	units := filepath.Join(dir, "units")
	for _, f := range unitFiles {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(units, f)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(units, f), []byte(placeholderUnit(f)), 0o644); err != nil {
			return "", err
		}
	}
	return units, nil
}

func placeholderUnit(name string) string {
	unit := "poold@%i"
	if strings.HasPrefix(name, "examples/") {
		unit = "myapp"
	}
	if strings.HasSuffix(name, ".socket") {
		return "[Unit]\nDescription=Placeholder socket of " + unit + "\nDocumentation=man:poold(8)\n\n" +
			"[Socket]\nListenStream=127.0.0.1:8080\nReusePort=yes\n\n[Install]\nWantedBy=sockets.target\n"
	}
	return "[Unit]\nDescription=Placeholder pool " + unit + "\nDocumentation=man:poold(8)\n" +
		"Requires=" + unit + ".socket\nAfter=" + unit + ".socket\n\n" +
		"[Service]\nType=notify\nExecStart=/usr/bin/poold -- /bin/true\nExecReload=/bin/kill -HUP $MAINPID\n" +
		"KillMode=mixed\n"
}

// run runs a command and returns its standard output; a failure fails the test.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// entry is one file or directory of a package, as its list shows it.
type entry struct {
	mode  string // as ls shows it: -rw-r--r--
	owner string // user/group
}

// wantFiles are the files (not directories) both packages must hold, with
// their modes; zsh is where zsh completions go for that package.
func wantFiles(t *testing.T, zsh string) map[string]string {
	t.Helper()
	root := repoRoot(t)
	const exe, doc = "-rwxr-xr-x", "-rw-r--r--"
	want := map[string]string{
		"/usr/bin/poold":   exe,
		"/usr/bin/poolctl": exe,

		"/usr/lib/systemd/system/poold@.service":          doc,
		"/usr/lib/systemd/system/poold@.socket":           doc,
		"/usr/share/dbus-1/system.d/org.poold.pool1.conf": doc,
		"/usr/lib/sysusers.d/poold.conf":                  doc,

		"/usr/share/man/man8/poold.8.gz": doc,

		"/usr/share/bash-completion/completions/poolctl":    doc,
		"/usr/share/fish/vendor_completions.d/poolctl.fish": doc,
		zsh + "/_poolctl": doc,

		"/usr/share/doc/poold/README.md":              doc,
		"/usr/share/doc/poold/copyright":              doc,
		"/usr/share/doc/poold/changelog.gz":           doc,
		"/usr/share/doc/poold/examples/myapp.socket":  doc,
		"/usr/share/doc/poold/examples/myapp.service": doc,
		"/usr/share/doc/poold/examples/myapp.conf":    doc,

		"/usr/share/poold/node/package.json": doc,
		"/usr/share/poold/node/index.js":     doc,
		"/usr/share/poold/node/preload.js":   doc,
		"/usr/share/poold/node/README.md":    doc,

		"/usr/share/poold/python/poold.py": doc,
	}
	pages, _ := filepath.Glob(filepath.Join(root, "docs/man/poolctl*.1"))
	if len(pages) == 0 {
		t.Fatal("no docs/man/poolctl*.1")
	}
	for _, p := range pages {
		want["/usr/share/man/man1/"+filepath.Base(p)+".gz"] = doc
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs/*.md"))
	for _, p := range docs {
		want["/usr/share/doc/poold/"+filepath.Base(p)] = doc
	}
	return want
}

// wantDirs are the directories both packages own themselves.
var wantDirs = []string{"/etc/poold", "/usr/share/doc/poold", "/usr/share/doc/poold/examples", "/usr/share/poold", "/usr/share/poold/node", "/usr/share/poold/python"}

// checkFiles compares a package's files with wantFiles: the same set, the
// same modes, all root's.
func checkFiles(t *testing.T, got map[string]entry, want map[string]string, owner string) {
	t.Helper()
	for path, mode := range want {
		e, ok := got[path]
		switch {
		case !ok:
			t.Errorf("%s missing", path)
		case e.mode != mode:
			t.Errorf("%s: mode %s, want %s", path, e.mode, mode)
		}
	}
	for path, e := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("%s (%s): not a file the package should hold", path, e.mode)
		}
		if e.owner != owner {
			t.Errorf("%s: owner %s, want %s", path, e.owner, owner)
		}
	}
}

// goarchTo maps GOARCH to the package architectures, where the tests know it.
var goarchTo = map[string][2]string{ // deb, rpm
	"amd64": {"amd64", "x86_64"},
	"arm64": {"arm64", "aarch64"},
}

func wantArch(t *testing.T, kind int) string {
	t.Helper()
	arch, ok := goarchTo[runtime.GOARCH]
	if !ok {
		t.Skipf("architecture names for %s not known to this test", runtime.GOARCH)
	}
	return arch[kind]
}
