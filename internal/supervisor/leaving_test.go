package supervisor

import (
	"testing"
	"time"

	"github.com/poold/poold/internal/notify"
)

// stopping posts a worker's STOPPING=1, as SDKs send on SIGTERM.
func (p *pool) stopping(id WorkerID) {
	p.notified(id, notify.Message{Stopping: true})
}

// A worker a reload replaces that says STOPPING=1 on its SIGTERM and exits
// 0 was stopped by poold: not a restart of its slot.
func TestReloadedWorkerThatSaysStoppingIsNoRestart(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 1, ReadyTimeout: time.Minute}, nil)
	done := p.reload()
	p.waitUntil("the new worker started", func(Status) bool { return len(p.spawner.all()) == 2 })
	p.ready(p.spawns()[1].req.ID)
	p.waitUntil("the old worker told to stop", func(st Status) bool { return st.Stopping == 1 })
	p.stopping(ws[0].req.ID)
	p.exit(ws[0].req.ID, 0)
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	if st := p.status(); len(st.Workers) != 1 || st.Workers[0].Restarts != 0 {
		t.Fatalf("workers %+v: want one, with 0 restarts after a reload", st.Workers)
	}
}

// A worker stopped for not being ready in time failed to start, even if it
// says STOPPING=1 and exits 0: its slot backs off.
func TestReadyTimeoutWithACleanExitBacksOff(t *testing.T) {
	p := startPool(t, Options{Workers: 1, ReadyTimeout: 5 * time.Second, Backoff: Backoff{Initial: time.Minute, Max: time.Hour}}, nil)
	w := p.spawns()[0]
	p.advance(5 * time.Second) // SIGTERM: not ready in time
	p.stopping(w.req.ID)
	p.exit(w.req.ID, 0)
	p.advance(time.Second)
	if got := len(p.spawns()); got != 1 {
		t.Fatalf("%d spawns a second after a failed start, want the slot to back off", got)
	}
}
