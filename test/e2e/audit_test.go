package e2e

import "testing"

// poold logs every change asked of it over D-Bus with who asked: root's
// scale, carried out, and nobody's, refused, each with the caller's uid,
// user name, PID and process name, and the operation with its arguments.
func TestChangesAreAuditedWithTheCaller(t *testing.T) {
	t.Parallel()
	p, name, env := openBusPool(t) // no bus policy: poold's own check refuses

	r := poolctl(t, "", env, "scale", name, "2")
	if r.code != 0 {
		t.Fatalf("scale as root: %v", r)
	}
	_, m := p.waitLog(`INF d-bus call accepted op=scale args="workers=2" caller.uid=0 caller.user=root caller.pid=(\d+) caller.comm=poolctl\b`, bound)
	if m[1] != itoa(r.pid) {
		t.Errorf("the record names pid %s, want poolctl's, %d", m[1], r.pid)
	}

	r = poolctl(t, "nobody", env, "scale", name, "3")
	if r.code != 1 {
		t.Fatalf("scale as nobody: %v; want refused", r)
	}
	// The PID is poolctl's, which runuser started: comm says whose it is.
	p.waitLog(`WRN d-bus call refused op=scale args="workers=3" caller.uid=65534 caller.user=nobody caller.pid=\d+ caller.comm=poolctl\b.* err="not permitted: uid 65534 `, bound)
}
