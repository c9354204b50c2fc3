package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/rundir"
)

// A worker command that cannot start refuses poold's start, with an error
// that says what to do, before poold binds its socket or makes its runtime
// directory: with --listen, under socket activation and with a config
// file's command, whatever is wrong with it.
func TestUnstartableCommandIsRefused(t *testing.T) {
	t.Parallel()
	dir := shortBase(t) // 0700 like the runtime base: nobody cannot reach into it
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootOnly := write("root-only.sh", "#!/bin/sh\nexit 0\n", 0o744)
	lost := write("lost.sh", "#!/nonexistent/e2e-sh\n", 0o755)
	conf := write("poold.conf", "command = /nonexistent/e2e-worker --port 3000\n", 0o644)
	for _, tt := range []struct {
		name    string
		command []string
		args    []string
		wrap    []string
		activ   bool
		want    string
	}{
		{name: "not-in-path", command: []string{"poold-e2e-no-such-program"}, want: `worker command \\"poold-e2e-no-such-program\\": not found in PATH \(.*\): install it, or give its path`},
		{name: "relative", command: []string{"./server.sh"}, want: `worker command \\"./server.sh\\": no such file in the working directory ` + regexp.QuoteMeta(dir) + `, which the workers get`},
		{name: "directory", command: []string{dir}, want: `: is a directory: name the program in it`},
		{name: "not-executable-by-the-user", command: []string{rootOnly}, wrap: []string{"runuser", "-u", "nobody", "--"},
			want: `: not executable by nobody \(uid 65534\), the user the workers run as \(mode -rwxr--r--\): chmod \+x it`},
		{name: "lost-interpreter", command: []string{lost}, want: `is a script whose interpreter /nonexistent/e2e-sh \(its #! line\) is missing: install it, or fix the #! line`},
		{name: "activated", command: []string{"/nonexistent/e2e-worker"}, activ: true, want: `worker command \\"/nonexistent/e2e-worker\\": no such file`},
		{name: "config-file", args: []string{"--config", conf}, want: `worker command \\"/nonexistent/e2e-worker\\": no such file`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := shortBase(t)
			sock := filepath.Join(base, "http.sock")
			s := spec{args: append([]string{"--listen", "unix:" + sock, "--workers", "1"}, tt.args...), command: tt.command,
				wrap: tt.wrap, dir: dir, env: []string{rundir.BaseEnv + "=" + base}}
			if tt.activ {
				socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { activation.CloseAll(socks) })
				a := activated(socks, "--workers", "1")
				s.args, s.helper, s.wrap, s.files, s.env = a.args, "", a.wrap, a.files, append(s.env, a.env...)
			}
			p := start(t, s)
			if code := p.wait(bound); code != 1 {
				t.Fatalf("poold exited %d, want 1", code)
			}
			p.waitSeen(`ERR poold cannot start err=".*`+tt.want, bound)
			if p.sawLog(`sockets bound|sockets from systemd|worker started`) {
				t.Error("poold went on after the refusal")
			}
			if _, err := os.Stat(sock); err == nil {
				t.Errorf("%s is left bound", sock)
			}
			if left := entries(t, base); len(left) != 0 {
				t.Errorf("%s holds %q", base, left)
			}
		})
	}
}

// A relative command is found in the working directory the workers get,
// as exec finds it: that pool starts.
func TestRelativeCommandStarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "server.sh"), []byte("#!/bin/sh\nexec \"$E2E_HELPER_BINARY\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1"}, command: []string{"./server.sh"},
		dir: dir, env: []string{helperEnv + "=serve", "E2E_HELPER_BINARY=" + self}})
	p.waitReady()
}
