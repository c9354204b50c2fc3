package e2e

import (
	"syscall"
	"testing"
)

// Workers die with poold when it dies uncleanly, without per-worker
// cgroups to kill them: they would keep its port.
func TestWorkersDieWithPoold(t *testing.T) {
	t.Parallel()
	p := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", "3", "--worker-cgroups", "off"},
		helper: "serve",
	})
	p.waitReady()
	p.signal(syscall.SIGKILL)
	p.wait(bound)
	if left := p.logs.workersLeft(bound); len(left) > 0 {
		t.Errorf("workers %v still run %v after poold was killed", left, bound)
	}
}
