package e2e

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poold/poold/internal/rundir"
)

// sleepPool is a pool of workers that only run sleep and must say READY=1
// themselves, which they never do; a short ready timeout restarts them.
var sleepPool = []string{"--name", "sleeper", "--listen", "127.0.0.1:0", "--workers", "1",
	"--ready", "notify", "--ready-timeout", "1s", "--restart-delay", "100ms"}

// waitStartOrRefusal waits until poold either started a worker or refused
// to start, and reports whether it refused.
func waitStartOrRefusal(p *pool) bool {
	p.t.Helper()
	_, m := p.waitLog(`(poold cannot start)|INF worker started `, bound)
	return m[1] != ""
}

// Another user plants /tmp/poold-UID as a symbolic link to a directory of
// the victim's before the victim runs poold without XDG_RUNTIME_DIR:
// poold refuses the base, saying what is wrong and what to do, and removes
// nothing there.
func TestRuntimeBaseSymlinkOfAnotherUserIsRefused(t *testing.T) {
	t.Parallel()
	tmp := sharedTmp(t)
	victim, attacker := tempUser(t), lookupUser(t, "nobody")
	data := filepath.Join(tmp, "data") // the victim's ~/data
	for _, d := range []string{data, filepath.Join(data, "project"), filepath.Join(data, "x.bus")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(data, "project", "lock"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{data, filepath.Join(data, "project"), filepath.Join(data, "project", "lock"), filepath.Join(data, "x.bus")} {
		if err := os.Lchown(d, atoi(t, victim.uid), atoi(t, victim.gid)); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(tmp, "poold-"+victim.uid)
	attacker.run(t, "ln -s "+data+" "+base)

	p := start(t, spec{args: sleepPool, command: []string{"sleep", "1000"}, wrap: victim.as(), env: userPoolEnv(tmp)})
	refused := waitStartOrRefusal(p)
	for _, f := range []string{filepath.Join(data, "project", "lock"), filepath.Join(data, "x.bus")} {
		if _, err := os.Lstat(f); err != nil {
			t.Errorf("the victim's %s: %v", f, err)
		}
	}
	if !refused {
		t.Fatal("poold started on a base that is another user's symbolic link")
	}
	checkRefusal(t, p, base, "is a symbolic link")
}

// checkRefusal checks that poold exited 1 with one error line that names
// the base, the problem and the fix.
func checkRefusal(t *testing.T, p *pool, base, problem string) {
	t.Helper()
	if code := p.wait(bound); code != 1 {
		t.Errorf("poold exited %d, want 1", code)
	}
	var lines []string
	for _, l := range p.logs.all() {
		if strings.Contains(l.text, "ERR") {
			lines = append(lines, l.text)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("error lines %q, want one", lines)
	}
	for _, want := range []string{base, problem, "XDG_RUNTIME_DIR", "--runtime-dir"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("error %q lacks %q", lines[0], want)
		}
	}
}

// Another user makes /tmp/poold-UID a directory anyone can write, swaps in
// a NAME.PID of its own once poold runs, and sends READY=1 on the notify
// socket of a worker that only runs sleep: poold refuses the base, so no
// worker is ever ready.
func TestRuntimeBaseOthersCanWriteIsRefused(t *testing.T) {
	t.Parallel()
	tmp := sharedTmp(t)
	victim, attacker := tempUser(t), lookupUser(t, "nobody")
	base := filepath.Join(tmp, "poold-"+victim.uid)
	attacker.run(t, "mkdir "+base+" && chmod 0777 "+base)

	p := start(t, spec{args: sleepPool, command: []string{"sleep", "1000"}, wrap: victim.as(), env: userPoolEnv(tmp)})
	if !waitStartOrRefusal(p) {
		swapRuntimeDir(t, p, attacker, base)
		if p.sawLog(`INF worker ready `) {
			t.Fatal("a worker that only runs sleep was marked ready by another user's READY=1")
		}
		t.Fatal("poold started on a base another user owns and anyone can write")
	}
	checkRefusal(t, p, base, "is owned by uid "+attacker.uid)
}

// swapRuntimeDir is the rest of the attack on a poold that took the base:
// the attacker replaces poold's runtime directory with one of its own,
// where the next worker's notify socket is bound, and says READY=1 on it.
func swapRuntimeDir(t *testing.T, p *pool, attacker localUser, base string) {
	t.Helper()
	names := entries(t, base)
	i := slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, "sleeper.") && !strings.HasSuffix(n, ".bus") })
	if i < 0 {
		t.Fatalf("no runtime directory in %s: %q", base, names)
	}
	dir := filepath.Join(base, names[i])
	attacker.run(t, "mv "+dir+" "+dir+".gone && mkdir "+dir+" && chmod 0777 "+dir)
	p.waitLog(`INF worker started `, bound) // after the ready timeout, in the attacker's directory
	socks, _ := filepath.Glob(filepath.Join(dir, "*.notify"))
	if len(socks) == 0 {
		return
	}
	attacker.run(t, "systemd-notify --ready", "NOTIFY_SOCKET="+socks[len(socks)-1])
	p.waitLog(`INF worker ready |worker not ready in time`, bound)
}

// A user's pool run by hand without XDG_RUNTIME_DIR makes its base in the
// temp dir private (0700), like $XDG_RUNTIME_DIR, and its notify sockets
// writable by its user only.
func TestUserPoolKeepsItsRuntimeDirPrivate(t *testing.T) {
	t.Parallel()
	tmp := sharedTmp(t)
	u := tempUser(t)
	args := []string{"--name", "private", "--listen", "127.0.0.1:0", "--workers", "1", "--ready", "delay", "--ready-delay", "10ms", "--bus", "none"}
	p := start(t, spec{args: args, command: []string{"sleep", "1000"}, wrap: u.as(), env: userPoolEnv(tmp)})
	p.waitReady()
	base := filepath.Join(tmp, "poold-"+u.uid)
	dir := runtimeDirIn(t, base, "private")
	socks, _ := filepath.Glob(filepath.Join(dir, "*.notify"))
	if len(socks) != 1 {
		t.Fatalf("notify sockets %q, want 1", socks)
	}
	for path, want := range map[string]os.FileMode{base: os.ModeDir | 0o700, dir: os.ModeDir | 0o700, socks[0]: os.ModeSocket | 0o600} {
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() & (os.ModeType | os.ModePerm); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
}

// A start that fails, whether a constructor or a start hook fails, leaves
// nothing in the base: neither NAME.PID nor its bus directory.
func TestFailedStartLeavesNoRuntimeDir(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"missing worker config", []string{"--worker-config", "/nonexistent/flags.json"}},
		{"metrics address in use", []string{"--bus", "private", "--metrics-listen", busy.Addr().String()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := shortBase(t)
			args := append([]string{"--name", uniqueName(t), "--listen", "127.0.0.1:0", "--workers", "1"}, tt.args...)
			p := start(t, spec{args: args, helper: "serve", env: []string{rundir.BaseEnv + "=" + base}})
			if code := p.wait(bound); code != 1 {
				t.Errorf("poold exited %d, want 1", code)
			}
			if left := entries(t, base); len(left) > 0 {
				t.Errorf("left in %s: %q", base, left)
			}
		})
	}
}
