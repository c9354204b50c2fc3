package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// repo is the module's root, two levels up from this package.
func repo(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "../.."))
}

var (
	buildOnce sync.Once
	built     struct {
		deb, rpm string
		err      error
		out      []byte
	}
)

// packages builds the .deb and the .rpm once per test binary, with the
// Makefile's own targets, into a directory of the test's.
func packages(t *testing.T) (deb, rpm string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "poold-packages-")
		if err != nil {
			built.err = err
			return
		}
		cmd := exec.Command("make", "-C", repo(t), "deb", "rpm", "DIST="+dir)
		built.out, built.err = cmd.CombinedOutput()
		debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
		rpms, _ := filepath.Glob(filepath.Join(dir, "*.rpm"))
		if len(debs) == 1 && len(rpms) == 1 {
			built.deb, built.rpm = debs[0], rpms[0]
		}
	})
	if built.err != nil || built.deb == "" {
		t.Fatalf("make deb rpm: %v (deb %q, rpm %q)\n%s", built.err, built.deb, built.rpm, built.out)
	}
	return built.deb, built.rpm
}

// expressApp is the example app with its node_modules (make example-deps).
func expressApp(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repo(t), "examples/express")
	if !exists(filepath.Join(dir, "node_modules/express")) {
		t.Fatalf("examples/express/node_modules is missing: run make example-deps")
	}
	return dir
}

// rebuiltDeb builds the .deb again as another version, for an upgrade.
func rebuiltDeb(t *testing.T, version string) string { return rebuilt(t, "deb", version) }

// rebuiltRPM builds the .rpm again as another version, for an upgrade.
func rebuiltRPM(t *testing.T, version string) string { return rebuilt(t, "rpm", version) }

func rebuilt(t *testing.T, kind, version string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("make", "-C", repo(t), kind, "DIST="+dir, "VERSION="+version).CombinedOutput()
	pkgs, _ := filepath.Glob(filepath.Join(dir, "*."+kind))
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("make %s VERSION=%s: %v, %q\n%s", kind, version, err, pkgs, out)
	}
	return pkgs[0]
}
