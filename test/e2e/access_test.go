package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
)

// On a system bus that loads the shipped policy file, root controls the
// pool and another user may only read it; busctl shows the API's named
// arguments.
func TestSystemBusPolicyLetsOthersReadOnly(t *testing.T) {
	t.Parallel()
	bustest.RequireRoot(t)
	addr := bustest.StartSystemBus(t)
	env := []string{"DBUS_SYSTEM_BUS_ADDRESS=" + addr}
	name := uniqueName(t)
	p := start(t, spec{
		args:   []string{"--name", name, "--bus", "system", "--listen", "127.0.0.1:0", "--workers", "2"},
		helper: "serve",
		env:    env,
	})
	p.waitReady()

	if st := statusOf(t, env, name); st.Pool.Bus != "system" || st.Pool.ReadyWorkers != 2 {
		t.Fatalf("status as root: %+v; want 2 ready on the system bus", st.Pool)
	}
	mustPoolctl(t, env, "scale", name, "3")
	p.waitSeen(`INF worker ready .*\bslot=2 `, bound)
	mustPoolctl(t, env, "restart", name, "2")

	read := poolctl(t, "nobody", env, "status", name)
	if read.code != 0 || !strings.Contains(read.stdout, "3/3 workers ready") {
		t.Errorf("status as nobody: %v; want the pool, 3/3 ready", read)
	}
	for _, args := range [][]string{{"scale", name, "1"}, {"reload", name}, {"restart", name, "0"}, {"signal", name, "TERM"}, {"upgrade", name}} {
		r := poolctl(t, "nobody", env, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "not permitted") {
			t.Errorf("poolctl %s as nobody: %v; want exit 1, not permitted", strings.Join(args, " "), r)
		}
	}
	if st := statusOf(t, env, name); st.Pool.TargetWorkers != 3 || st.Pool.Generation != 1 {
		t.Errorf("refused calls changed the pool: target %d, generation %d", st.Pool.TargetWorkers, st.Pool.Generation)
	}

	xml, err := exec.Command("busctl", "--address="+addr, "--xml-interface", "introspect",
		dbusapi.BusName(name), string(dbusapi.ManagerPath)).Output()
	if err != nil {
		t.Fatalf("busctl introspect: %v", err)
	}
	for _, want := range []string{`<arg type="i" name="workers" direction="in"/>`, `<method name="Reload">`, `<arg type="u" name="generation" direction="out"/>`,
		`<method name="Upgrade">`, `<arg type="s" name="to_version" direction="out"/>`, `<property name="LastUpgrade" type="(sstts)" access="read">`} {
		if !strings.Contains(string(xml), want) {
			t.Errorf("busctl introspect lacks %s", want)
		}
	}
}

// On a bus with no policy at all, poold's own check of the caller's
// credentials still refuses changes from a user who is not root, the pool's
// owner or in the poold group.
func TestPooldRefusesChangesWithoutABusPolicy(t *testing.T) {
	t.Parallel()
	p, name, env := openBusPool(t)
	r := poolctl(t, "nobody", env, "scale", name, "2")
	if r.code != 1 || !strings.Contains(r.stderr, "not permitted") || !strings.Contains(r.stderr, "uid 65534") {
		t.Errorf("scale as nobody on an open bus: %v; want poold's own refusal naming uid 65534", r)
	}
	p.waitSeen(`WRN d-bus call refused .*\bop=scale\b`, bound)
	r = poolctl(t, "nobody", env, "upgrade", name)
	if r.code != 1 || !strings.Contains(r.stderr, "not permitted") || !strings.Contains(r.stderr, "uid 65534") {
		t.Errorf("upgrade as nobody on an open bus: %v; want poold's own refusal naming uid 65534", r)
	}
	p.waitSeen(`WRN d-bus call refused .*\bop=upgrade\b`, bound)
	if st := statusOf(t, env, name); st.Pool.TargetWorkers != 1 {
		t.Errorf("the refused scale changed the target to %d", st.Pool.TargetWorkers)
	}
	mustPoolctl(t, env, "scale", name, "2")
}

// openBusPool runs a pool of one worker on a bus without a policy, where
// only poold's own check refuses changes, and returns its name and the
// environment that reaches its bus.
func openBusPool(t *testing.T) (p *pool, name string, env []string) {
	t.Helper()
	bustest.RequireRoot(t)
	env = []string{"DBUS_SESSION_BUS_ADDRESS=" + bustest.StartOpenBus(t)}
	name = uniqueName(t)
	p = start(t, spec{
		args:   []string{"--name", name, "--bus", "session", "--listen", "127.0.0.1:0", "--workers", "1"},
		helper: "serve",
		env:    env,
	})
	p.waitReady()
	return p, name, env
}
