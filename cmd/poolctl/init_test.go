package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readTree reads every file below root, by path relative to it.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestInitWritesTheFiles(t *testing.T) {
	root := t.TempDir()
	r := poolctl(t, env(), "init", "myapp", "--listen", "127.0.0.1:3000", "--listen", ":3001", "--listen", "unix:/run/myapp.sock",
		"--workers", "4", "--root", root, "--", "node", "/srv/my app/server.js", "--port-from-fd")
	if r.code != 0 {
		t.Fatalf("code %d, stderr %s", r.code, r.stderr)
	}
	files := readTree(t, root)
	conf := files["etc/poold/myapp.conf"]
	for _, want := range []string{
		"\ncommand = node '/srv/my app/server.js' --port-from-fd\n", "\nworkers = 4\n", "\ndistribution = shared\n",
		"systemctl reload myapp\n", `only "systemctl restart myapp"`,
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("myapp.conf lacks %q:\n%s", want, conf)
		}
	}
	socket := files["etc/systemd/system/myapp.socket"]
	wantListen := "[Socket]\n# The pool's addresses (poolctl init --listen).\n" +
		"ListenStream=127.0.0.1:3000\nListenStream=3001\nListenStream=/run/myapp.sock\n# --distribution"
	if !strings.Contains(socket, wantListen) || !strings.Contains(socket, "\nAlso=myapp.service\n") {
		t.Errorf("myapp.socket =\n%s\nwant\n%s", socket, wantListen)
	}
	service := files["etc/systemd/system/myapp.service"]
	for _, want := range []string{
		"\nRequires=myapp.socket\n", "\nAfter=myapp.socket network.target\n",
		"\nExecStart=/usr/bin/poold --config /etc/poold/myapp.conf --env-file -/etc/poold/myapp.env --name myapp\n",
		"\nExecReload=/usr/bin/poolctl reload myapp\n",
		"\nRuntimeDirectory=poold/%N\n", "\nAlso=myapp.socket\n",
	} {
		if !strings.Contains(service, want) {
			t.Errorf("myapp.service lacks %q:\n%s", want, service)
		}
	}
	for path, content := range files {
		for _, line := range strings.Split(content, "\n") {
			if !strings.HasPrefix(line, "#") && (strings.Contains(line, "poold@") || strings.Contains(line, "%i")) {
				t.Errorf("%s names the template or its instance: %s", path, line)
			}
		}
	}
	if len(files) != 3 {
		t.Errorf("wrote %d files, want 3: %v", len(files), files)
	}
	for _, want := range []string{
		"wrote " + filepath.Join(root, "etc/poold/myapp.conf") + "\n",
		"wrote " + filepath.Join(root, "etc/systemd/system/myapp.socket") + "\n",
		"wrote " + filepath.Join(root, "etc/systemd/system/myapp.service") + "\n",
		"next: systemctl daemon-reload && systemctl enable --now myapp.socket\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestInitUserAndChdir(t *testing.T) {
	root := t.TempDir()
	r := poolctl(t, env(), "init", "shop", "--listen", "http=[::1]:8080", "--user", "shop", "--chdir", "/srv/shop%1/",
		"--root", root, "--", "bin/server")
	if r.code != 0 {
		t.Fatalf("code %d, stderr %s", r.code, r.stderr)
	}
	files := readTree(t, root)
	if got := files["etc/systemd/system/shop.socket"]; !strings.Contains(got, "\nListenStream=[::1]:8080\nFileDescriptorName=http\n") {
		t.Errorf("shop.socket =\n%s", got)
	}
	service := files["etc/systemd/system/shop.service"]
	for _, want := range []string{"\nUser=shop\nSupplementaryGroups=poold\n", "\nWorkingDirectory=/srv/shop%%1\n"} {
		if !strings.Contains(service, want) {
			t.Errorf("shop.service lacks %q:\n%s", want, service)
		}
	}
	if !strings.HasPrefix(service[strings.Index(service, "[Service]\n"):], "[Service]\n# poolctl init --user") {
		t.Errorf("User= is not in [Service]:\n%s", service)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	root := t.TempDir()
	args := []string{"init", "myapp", "--listen", ":3000", "--user", "app", "--root", root, "--", "/usr/bin/node", "server.js"}
	if r := poolctl(t, env(), args...); r.code != 0 {
		t.Fatalf("first init: code %d, stderr %s", r.code, r.stderr)
	}
	before := readTree(t, root)
	// Another listen address, no user: nothing may change without --force.
	again := []string{"init", "myapp", "--listen", ":4000", "--root", root, "--", "/usr/bin/node", "server.js"}
	r := poolctl(t, env(), again...)
	conf := filepath.Join(root, "etc/poold/myapp.conf")
	want := "poolctl: " + conf + " exists; add --force to replace the configuration of pool myapp (nothing was written)\n"
	if r.code != exitFailure || r.stderr != want || r.stdout != "" {
		t.Errorf("second init: code %d, stdout %q, stderr %q; want 1 and %q", r.code, r.stdout, r.stderr, want)
	}
	if after := readTree(t, root); len(after) != len(before) || after["etc/systemd/system/myapp.socket"] != before["etc/systemd/system/myapp.socket"] {
		t.Errorf("files changed without --force")
	}

	r = poolctl(t, env(), append([]string{"init", "--force"}, again[1:]...)...)
	if r.code != 0 {
		t.Fatalf("--force: code %d, stderr %s", r.code, r.stderr)
	}
	after := readTree(t, root)
	if !strings.Contains(after["etc/systemd/system/myapp.socket"], "\nListenStream=4000\n") {
		t.Errorf("--force did not replace myapp.socket")
	}
	if strings.Contains(after["etc/systemd/system/myapp.service"], "User=") {
		t.Errorf("--force without --user kept User=")
	}
	if !strings.Contains(r.stdout, "systemctl restart myapp.socket") {
		t.Errorf("--force does not say how to restart a running pool:\n%s", r.stdout)
	}
}

// A pool set up by an earlier poolctl init, as poold@NAME with drop-ins,
// moves to units of its own name with --force, which removes the
// drop-ins: the template instance then has no address, and cannot run the
// same pool a second time.
func TestInitMovesAPoolOffTheTemplate(t *testing.T) {
	root := t.TempDir()
	old := map[string]string{
		"etc/systemd/system/poold@myapp.socket.d/listen.conf":   "[Socket]\nListenStream=3000\n",
		"etc/systemd/system/poold@myapp.service.d/user.conf":    "[Service]\nUser=app\n",
		"etc/systemd/system/poold@myapp.service.d/workdir.conf": "[Service]\nWorkingDirectory=/srv\n",
		"etc/systemd/system/poold@myapp.service.d/mine.conf":    "[Service]\nMemoryMax=1G\n", // the admin's
	}
	for path, content := range old {
		if err := writeFile(filepath.Join(root, path), content); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"init", "myapp", "--listen", ":3000", "--root", root, "--", "/usr/bin/node", "server.js"}
	r := poolctl(t, env(), args...)
	if listen := filepath.Join(root, "etc/systemd/system/poold@myapp.socket.d/listen.conf"); r.code != exitFailure || !strings.Contains(r.stderr, listen+" exists; add --force") {
		t.Errorf("init over the template's drop-ins: code %d, stderr %q; want refused", r.code, r.stderr)
	}
	r = poolctl(t, env(), append([]string{"init", "--force"}, args[1:]...)...)
	if r.code != 0 {
		t.Fatalf("--force: code %d, stderr %s", r.code, r.stderr)
	}
	files := readTree(t, root)
	for path := range old {
		if _, kept := files[path]; kept != strings.HasSuffix(path, "mine.conf") {
			t.Errorf("%s kept: %v", path, kept)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/systemd/system/poold@myapp.socket.d")); err == nil {
		t.Errorf("the emptied drop-in directory is left: %v", fi.Name())
	}
	wantOut := "first: systemctl disable --now poold@myapp.socket poold@myapp.service  (the pool's former units)\n" +
		"next: systemctl daemon-reload && systemctl enable --now myapp.socket\n"
	if !strings.HasSuffix(r.stdout, wantOut) {
		t.Errorf("stdout:\n%s\nwant it to end with\n%s", r.stdout, wantOut)
	}
}

// A pool named like a unit of the system's would replace that unit.
func TestInitRefusesASystemUnitsName(t *testing.T) {
	root := t.TempDir()
	if err := writeFile(filepath.Join(root, "usr/lib/systemd/system/ssh.service"), "[Service]\n"); err != nil {
		t.Fatal(err)
	}
	r := poolctl(t, env(), "init", "ssh", "--listen", ":3000", "--root", root, "--force", "--", "/usr/bin/node", "server.js")
	want := "the system has a unit ssh.service already (" + filepath.Join(root, "usr/lib/systemd/system/ssh.service") + ")"
	if r.code != exitFailure || !strings.Contains(r.stderr, want) {
		t.Errorf("code %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	if files := readTree(t, root); len(files) != 1 {
		t.Errorf("wrote %v", files)
	}

	// A service of the admin's in /etc, which --force does not replace.
	if err := writeFile(filepath.Join(root, "etc/systemd/system/web.service"), "[Service]\nExecStart=/opt/web/bin/server\n"); err != nil {
		t.Fatal(err)
	}
	r = poolctl(t, env(), "init", "web", "--listen", ":3000", "--root", root, "--force", "--", "/usr/bin/node", "server.js")
	want = filepath.Join(root, "etc/systemd/system/web.service") + " runs no poold: it is not a pool's"
	if r.code != exitFailure || !strings.Contains(r.stderr, want) {
		t.Errorf("code %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	if files := readTree(t, root); len(files) != 2 {
		t.Errorf("wrote %v", files)
	}
}

// Usage errors exit 2, say what is wrong on one line and write nothing.
func TestInitUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"my/app", "--listen", ":3000", "--", "x"}, `pool name "my/app": use letters, digits`},
		{[]string{"..", "--listen", ":3000", "--", "x"}, `pool name "..": use letters, digits`},
		{[]string{"myapp", "--listen", ":3000", "--"}, `no worker command after --`},
		{[]string{"myapp", "--listen", ":3000"}, `init needs a pool name, then the worker command after --`},
		{[]string{"myapp", "--listen", ":3000", "node", "--", "x"}, `init needs a pool name, then the worker command after --`},
		{[]string{"--listen", ":3000", "--", "x"}, `init needs a pool name`},
		{[]string{"myapp", "--", "x"}, `init needs --listen ADDR`},
		{[]string{"myapp", "--listen", "localhost:3000", "--", "x"}, `not a name`},
		{[]string{"myapp", "--listen", ":0", "--", "x"}, `port 0 cannot be in a socket unit`},
		{[]string{"myapp", "--listen", "a=:1", "--listen", "b=:2", "--", "x"}, `share one name`},
		{[]string{"myapp", "--listen", "a=:1", "--listen", ":2", "--", "x"}, `share one name`},
		{[]string{"myapp", "--listen", ":3000", "--user", "app", "--distribution", "sticky", "--", "x"},
			`--user app with --distribution sticky: poold must run as root, the user systemd creates the socket as`},
		{[]string{"myapp", "--listen", ":3000", "--user", "app", "--distribution", "balanced", "--", "x"}, `use --distribution shared with --user`},
		{[]string{"myapp", "--listen", ":3000", "--user", "a b", "--", "x"}, `--user "a b": want a user name or a UID`},
		{[]string{"myapp", "--listen", ":3000", "--workers", "0", "--", "x"}, `--workers="0": want a whole number`},
		{[]string{"myapp", "--listen", ":3000", "--workers", "65", "--", "x"}, `--workers 65 is above poold's --max-workers 64`},
		{[]string{"myapp", "--listen", ":3000", "--distribution", "rr", "--", "x"}, `--distribution: distribution "rr"`},
		{[]string{"myapp", "--listen", ":3000", "--chdir", "srv", "--", "x"}, `--chdir "srv": want an absolute path`},
		{[]string{"myapp", "--listen", ":3000", "--", "x", "a\nb"}, `line breaks and control characters`},
		{[]string{"myapp", "--listen", ":3000", "--", "--root", "/srv/image", "node", "server.js"},
			`worker command "--root" starts with '-': poolctl's flags go before --`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root := t.TempDir()
			args := append([]string{"init", "--root", root}, tt.args...)
			r := poolctl(t, env(), args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("code %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
			if files := readTree(t, root); len(files) != 0 {
				t.Errorf("wrote %v", files)
			}
		})
	}
}

// With --root, the command is looked for in poolctl's PATH below the root,
// as it is below / without: systemd's PATH is shorter than a shell's.
func TestInitWritesTheCommandsPathBelowRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "usr/local/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "usr/bin/node"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/local/bin/node"), nil, 0o644); err != nil { // not executable
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/alternatives/python3", filepath.Join(root, "usr/local/bin/python3")); err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct{ give, want string }{
		{"node", "/usr/bin/node"},
		{"python3", "/usr/local/bin/python3"}, // the image's link, dangling here
		{"nosuch", "nosuch"},
		{"./bin/server", "./bin/server"},
	} {
		name := "app" + strconv.Itoa(i)
		r := poolctl(t, env("PATH", "relative:/usr/local/bin:/usr/bin"), "init", name, "--listen", ":3000", "--root", root, "--", tt.give, "main")
		if r.code != 0 {
			t.Fatalf("code %d, stderr %s", r.code, r.stderr)
		}
		conf, err := os.ReadFile(filepath.Join(root, "etc/poold", name+".conf"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "\ncommand = " + tt.want + " main\n"; !strings.Contains(string(conf), want) {
			t.Errorf("%s: config file lacks %q:\n%s", tt.give, want, conf)
		}
	}
}
