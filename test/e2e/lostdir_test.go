package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/poold/poold/internal/rundir"
)

// shortBase is a directory of the test's own in the temp dir, short enough
// to be a base whose socket paths fit in sun_path.
func shortBase(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// runtimeDirIn is the runtime directory of the only pool named name in base.
func runtimeDirIn(t *testing.T, base, name string) string {
	t.Helper()
	prefix := name[:min(len(name), 24)] + "."
	for _, n := range entries(t, base) {
		if strings.HasPrefix(n, prefix) && !strings.HasSuffix(n, ".bus") {
			return filepath.Join(base, n)
		}
	}
	t.Fatalf("no runtime directory of %s in %s: %q", name, base, entries(t, base))
	return ""
}

// rm -rf of a running pool's runtime directory: poold makes it again, with
// its lock, and binds the running workers' notify sockets again; a worker
// killed afterwards is replaced by one that gets ready and serves.
func TestLostRuntimeDirIsMadeAgain(t *testing.T) {
	t.Parallel()
	base := shortBase(t)
	env := []string{rundir.BaseEnv + "=" + base}
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve", env: env})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	answers := answersFrom(t, url, 2)

	dir := runtimeDirIn(t, base, name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	var killed, live answer
	for _, a := range answers {
		killed, live = live, a
	}
	if err := syscall.Kill(killed.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitLog(`INF worker ready .*\bslot=`+killed.Slot+` `, bound)
	fresh := answersFrom(t, url, 2)
	if _, ok := fresh[killed.PID]; ok || len(fresh) != 2 {
		t.Errorf("workers answering after the restart: %v; want 2 without the killed %d", keys(fresh), killed.PID)
	}

	p.waitSeen(`WRN runtime directory was lost: made it again`, bound)
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if lock, stale := rundir.Stale(root, filepath.Base(dir)); stale {
		lock.Close()
		t.Error("the runtime directory made again is not locked")
	}
	if fi, err := os.Lstat(live.NotifySocket); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("the live worker's notify socket %s: %v, want it bound again", live.NotifySocket, err)
	}
}

// A second poold on the same base, which sweeps the stale entries there,
// leaves alone the private bus of a pool whose runtime directory was
// removed under it: the bus directory's own lock says it is alive.
func TestSweepSparesTheBusOfAPoolThatLostItsRuntimeDir(t *testing.T) {
	t.Parallel()
	base := shortBase(t)
	env := []string{rundir.BaseEnv + "=" + base}
	first, second := uniqueName(t)+"-a", uniqueName(t)+"-b"
	a := start(t, spec{args: []string{"--name", first, "--listen", "127.0.0.1:0", "--workers", "1"}, helper: "serve", env: env})
	a.waitReady()
	if err := os.RemoveAll(runtimeDirIn(t, base, first)); err != nil {
		t.Fatal(err)
	}
	b := start(t, spec{args: []string{"--name", second, "--listen", "127.0.0.1:0", "--workers", "1"}, helper: "serve", env: env})
	b.waitReady()
	if st := statusOf(t, env, first); st.Pool.Bus != "private" || st.Pool.ReadyWorkers != 1 {
		t.Errorf("the first pool after the second started: %+v; want 1 ready on its private bus", st.Pool)
	}
	if a.sawLog(`private bus.*dbus-daemon exited`) || b.sawLog(`killed the dbus-daemon of a stale pool`) {
		t.Error("the second poold killed the first's dbus-daemon")
	}
}

// A runtime directory that cannot be made again (its base became unsafe)
// stops poold: it drains the pool and exits 1, for systemd to restart it.
func TestRuntimeDirThatCannotBeMadeAgainStopsPoold(t *testing.T) {
	t.Parallel()
	base := shortBase(t)
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1"}, helper: "serve",
		env: []string{rundir.BaseEnv + "=" + base}})
	p.waitReady()
	if err := os.Chmod(base, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(runtimeDirIn(t, base, name)); err != nil {
		t.Fatal(err)
	}
	p.waitLog(`ERR runtime directory lost and not made again: draining .*writable by group or others`, bound)
	p.waitLog(`INF pool stopped `, bound)
	if code := p.wait(bound); code != 1 {
		t.Errorf("poold exited %d, want 1", code)
	}
}
