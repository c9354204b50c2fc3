package main

import (
	"strings"
	"testing"
)

// The exec of the old poold ends its connection before it can answer
// Upgrade: poolctl finds the pool again, served by the new poold, and
// reads how the upgrade went there.
func TestUpgradeAcrossTheExec(t *testing.T) {
	addr := startBus(t)
	f := serveFakePool(t, addr, "web", 3)
	f.mu.Lock()
	f.execs = true
	f.mu.Unlock()
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.conn.Close()
	})
	r := poolctl(t, env("DBUS_SESSION_BUS_ADDRESS", addr), "upgrade", "web", "--verbose")
	if want := "web: upgraded poold test → 1.3.0 in 95ms, 3 workers kept\n"; r.code != 0 || r.stdout != want {
		t.Errorf("%+v; want exit 0 and %q", r, want)
	}
	// The call itself got no answer: it was the pool's state that told.
	if !strings.Contains(r.stderr, "poolctl: web: Upgrade: ") || !strings.Contains(r.stderr, "; looking for the pool\n") {
		t.Errorf("stderr %q; want the unanswered call noted", r.stderr)
	}
}
