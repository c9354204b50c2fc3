package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The shipped units, and those poolctl init writes from them, pass
// systemd's own checks: systemd-analyze verify, and security at no more
// than the exposure docs/systemd.md records.
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze")
	}
	targets, _ := filepath.Glob("/usr/lib/systemd/system/*.target")
	if len(targets) == 0 {
		t.Skip("no systemd targets in /usr/lib/systemd/system to verify against")
	}
	root := t.TempDir()
	r := poolctl(t, env(), "init", "myapp", "--listen", "127.0.0.1:3000", "--listen", "unix:/run/myapp.sock",
		"--user", "app", "--chdir", "/srv/myapp", "--root", root, "--", "/usr/bin/node", "server.js")
	if r.code != 0 {
		t.Fatalf("init: code %d, stderr %s", r.code, r.stderr)
	}
	system := filepath.Join(root, "usr/lib/systemd/system") // where the packages install units
	copyFiles(t, system, append(targets, "../../units/poold@.socket", "../../units/poold@.service")...)
	// The template pair takes its addresses from a drop-in.
	if err := writeFile(filepath.Join(root, "etc/systemd/system/poold@tmpl.socket.d/listen.conf"), "[Socket]\nListenStream=3001\n"); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{"poold", "poolctl"} { // verify checks that ExecStart= and ExecReload= exist
		path := filepath.Join(root, "usr/bin", bin)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	units := []string{"poold@tmpl.socket", "poold@tmpl.service", "myapp.socket", "myapp.service"}
	out, err := exec.Command(analyze, append([]string{"verify", "--man=no", "--root=" + root}, units...)...).CombinedOutput()
	// Unknown keys and bad values are only warnings, exit code 0.
	if err != nil || strings.Contains(string(out), "myapp") || strings.Contains(string(out), "poold") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	checkEnable(t, root, "poold@tmpl")
	checkEnable(t, root, "myapp")
	for _, unit := range []string{"poold@tmpl.service", "myapp.service"} {
		out, err := exec.Command(analyze, "security", "--offline=yes", "--root="+root, "--threshold=45", unit).CombinedOutput()
		if strings.Contains(string(out), "unrecognized option") {
			t.Skipf("systemd-analyze security: %s", out) // before systemd 250
		}
		if err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			t.Errorf("systemd-analyze security %s: %v: %s", unit, err, lines[len(lines)-1])
		}
	}
}

// checkEnable: enabling the socket NAME.socket enables the service, which
// starts at boot; disabling the socket undoes both.
func checkEnable(t *testing.T, root, name string) {
	t.Helper()
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		return
	}
	links := []string{"etc/systemd/system/sockets.target.wants/" + name + ".socket",
		"etc/systemd/system/multi-user.target.wants/" + name + ".service"}
	if out, err := exec.Command(systemctl, "--root="+root, "enable", name+".socket").CombinedOutput(); err != nil {
		t.Fatalf("systemctl enable: %v\n%s", err, out)
	}
	for _, l := range links {
		if _, err := os.Readlink(filepath.Join(root, l)); err != nil {
			t.Errorf("systemctl enable %s.socket: %v", name, err)
		}
	}
	if out, err := exec.Command(systemctl, "--root="+root, "disable", name+".socket").CombinedOutput(); err != nil {
		t.Fatalf("systemctl disable: %v\n%s", err, out)
	}
	for _, l := range links {
		if _, err := os.Lstat(filepath.Join(root, l)); err == nil {
			t.Errorf("systemctl disable %s.socket left %s", name, l)
		}
	}
}

func copyFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// No two shipped units share a RuntimeDirectory=: systemd removes it when
// any unit that has it stops, under the others' running poold. The pool
// myapp can run as poold@myapp.service or as the example myapp.service.
func TestUnitsHaveRuntimeDirectoriesOfTheirOwn(t *testing.T) {
	units := map[string]string{ // unit name: its file
		"poold@myapp.service": "../../units/poold@.service",
		"myapp.service":       "../../units/examples/myapp.service",
	}
	owner := map[string]string{}
	for unit, file := range units {
		for _, dir := range runtimeDirectories(t, unit, file) {
			if other, ok := owner[dir]; ok {
				t.Errorf("%s and %s share RuntimeDirectory=%s", other, unit, dir)
			}
			owner[dir] = unit
		}
	}
	if len(owner) < len(units) {
		t.Errorf("runtime directories %v: want one for each of %d units", owner, len(units))
	}
}

// runtimeDirectories are the RuntimeDirectory= entries of unit in file,
// with the specifiers the shipped units use expanded.
func runtimeDirectories(t *testing.T, unit, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(unit, ".service")
	_, instance, _ := strings.Cut(name, "@")
	expand := strings.NewReplacer("%N", name, "%n", unit, "%i", instance, "%I", instance)
	var dirs []string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "RuntimeDirectory="); ok {
			dirs = append(dirs, strings.Fields(expand.Replace(v))...)
		}
	}
	return dirs
}

var update = flag.Bool("update", false, "rewrite units/examples/ from poolctl init")

// exampleInit is the poolctl init that units/examples/ holds the files of.
var exampleInit = []string{"init", "myapp", "--listen", "127.0.0.1:3000", "--chdir", "/srv/myapp", "--", "/usr/bin/node", "/srv/myapp/server.js"}

// The example units are what poolctl init writes, so that a pool made from
// them and one made by poolctl init are the same pool, never two (go test
// -run TestExampleUnitsAreWhatInitWrites -update rewrites them).
func TestExampleUnitsAreWhatInitWrites(t *testing.T) {
	root := t.TempDir()
	args := append([]string{"init", "--root", root}, exampleInit[1:]...)
	if r := poolctl(t, env(), args...); r.code != 0 {
		t.Fatalf("init: code %d, stderr %s", r.code, r.stderr)
	}
	files := map[string]string{
		"etc/poold/myapp.conf":             "../../units/examples/myapp.conf",
		"etc/systemd/system/myapp.socket":  "../../units/examples/myapp.socket",
		"etc/systemd/system/myapp.service": "../../units/examples/myapp.service",
	}
	for written, example := range files {
		want, err := os.ReadFile(filepath.Join(root, written))
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(example, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(example); err != nil || string(got) != string(want) {
			t.Errorf("%s is not what %s writes (%v); go test -run %s -update rewrites it", example,
				strings.Join(append([]string{"poolctl"}, exampleInit...), " "), err, t.Name())
		}
	}
}
