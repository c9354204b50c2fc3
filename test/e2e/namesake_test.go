package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// A second poold with the name of a running pool, wherever poolctl would
// find both (two "make run"s, a pool by hand beside the same pool under
// systemd), refuses to start: before it binds a socket (it is given the
// first pool's address, which it could not bind), naming the running
// pool's poold and bus, and leaving nothing behind. poolctl sees one pool
// of the name, the first; another --name starts.
func TestNamesakeIsRefused(t *testing.T) {
	t.Parallel()
	bustest.RequireDaemon(t)
	for _, tt := range []struct {
		name  string
		setUp func(t *testing.T) (first, second, ctl []string)
		bus   string
	}{
		{name: "one-base", setUp: func(t *testing.T) (first, second, ctl []string) {
			env := []string{rundir.BaseEnv + "=" + shortBase(t)}
			return env, env, env
		}, bus: "private"},
		// A pool of systemd's poold@NAME, its base RuntimeDirectory=poold/%N,
		// and the same pool run by hand by root, in /run/poold.
		{name: "two-bases", setUp: func(t *testing.T) (first, second, ctl []string) {
			unitBase := filepath.Join(rundir.RootBase, "poold@"+uniqueName(t))
			t.Cleanup(func() { os.Remove(unitBase) })
			return []string{"RUNTIME_DIRECTORY=" + unitBase}, nil, nil
		}, bus: "private"},
		{name: "session", setUp: func(t *testing.T) (first, second, ctl []string) {
			env := []string{"DBUS_SESSION_BUS_ADDRESS=" + bustest.StartSessionBus(t), rundir.BaseEnv + "=" + shortBase(t)}
			return env, env, env
		}, bus: "session"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			firstEnv, secondEnv, ctlEnv := tt.setUp(t)
			name := uniqueName(t)
			args := func(listen string) []string {
				return []string{"--name", name, "--listen", listen, "--workers", "1", "--bus", tt.bus}
			}
			first := start(t, spec{args: args("127.0.0.1:0"), helper: "serve", env: firstEnv})
			addr := first.addr()
			first.waitReady()
			pid := first.cmd.Process.Pid
			where := "on the " + tt.bus + " bus"
			if tt.bus == "private" {
				where += " at " + privateBusOf(t, first)
			}
			base := baseOf(secondEnv)
			before := entriesOf(t, base, name)

			second := start(t, spec{args: args(addr), helper: "serve", env: secondEnv})
			if code := second.wait(bound); code != 1 {
				t.Fatalf("the second pool named %s exited %d, want 1", name, code)
			}
			second.waitSeen(`ERR poold cannot start`, bound) // its last line: the output read up to it
			want := "another pool named " + name + " is running (poold pid " + itoa(pid) + ", " + where + "): stop it, or give this one another --name"
			if errs := second.linesWith(" ERR "); len(errs) != 1 || !strings.Contains(errs[0], want) {
				t.Errorf("errors %q, want one saying %q", errs, want)
			}
			if second.sawLog(`sockets bound|worker started`) {
				t.Error("the refused pool bound a socket or started a worker")
			}
			if after := entriesOf(t, base, name); !slices.Equal(after, before) {
				t.Errorf("%s holds %q after the refusal, %q before", base, after, before)
			}
			if st := statusOf(t, ctlEnv, name); st.Pool.MainPID != pid {
				t.Errorf("poolctl reaches poold pid %d, want the first pool's %d", st.Pool.MainPID, pid)
			}
			third := start(t, spec{args: []string{"--name", name + "-2", "--listen", "127.0.0.1:0", "--workers", "1", "--bus", tt.bus},
				helper: "serve", env: secondEnv})
			third.waitReady()
		})
	}
}

// privateBusOf is the socket of the private bus p logged it started.
func privateBusOf(t *testing.T, p *pool) string {
	t.Helper()
	l := p.waitSeen(`INF d-bus: started a private bus socket=\S+`, bound)
	_, sock, _ := strings.Cut(l.text, "socket=")
	if filepath.Base(sock) != privatebus.SocketName {
		t.Fatalf("private bus socket %q", sock)
	}
	return sock
}

// baseOf is the base of a pool of root run with env added to the test's.
func baseOf(env []string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, rundir.BaseEnv+"="); ok {
			return v
		}
	}
	return rundir.RootBase
}

// entriesOf lists what pool name has in base, which other tests share.
func entriesOf(t *testing.T, base, name string) []string {
	t.Helper()
	return slices.DeleteFunc(entries(t, base), func(e string) bool {
		return !rundir.MayBeOf(e, name) && e != name+".lock"
	})
}

// Of two poolds of one name started at once from one base, one alone
// runs: the other refuses, whether it finds the first on its bus or, still
// starting, by the name's lock.
func TestNamesakesStartedAtOnce(t *testing.T) {
	t.Parallel()
	bustest.RequireDaemon(t)
	env := []string{rundir.BaseEnv + "=" + shortBase(t)}
	name := uniqueName(t)
	args := []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1", "--bus", "private"}
	pools := []*pool{start(t, spec{args: args, helper: "serve", env: env}), start(t, spec{args: args, helper: "serve", env: env})}
	refused := 0
	for _, p := range pools {
		if waitStartOrRefusal(p) {
			refused++
			if errs := p.linesWith(" ERR "); len(errs) != 1 || !strings.Contains(errs[0], "another pool named "+name+" is ") {
				t.Errorf("errors %q, want one naming the other pool", errs)
			}
		}
	}
	if refused != 1 {
		t.Errorf("%d of two pools of one name refused to start, want 1", refused)
	}
}
