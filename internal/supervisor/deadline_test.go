package supervisor

import (
	"math"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/notify"
)

// extend posts EXTEND_TIMEOUT_USEC=usec from worker id, parsed as it
// arrives from a worker: 2^64-1 is clamped to the longest Duration.
func (p *pool) extend(id WorkerID, usec string) {
	p.t.Helper()
	m, err := notify.Parse([]byte("EXTEND_TIMEOUT_USEC=" + usec))
	if err != nil {
		p.t.Fatal(err)
	}
	p.sup.post(Notified{ID: id, Datagram: notify.Datagram{Message: m}})
}

const forever = "18446744073709551615" // 2^64-1, systemd's infinity

// drainingWorker is the one worker of a pool that has begun to drain: it
// has just been sent SIGTERM.
func drainingWorker(t *testing.T, stopTimeout time.Duration) (*pool, spawned) {
	t.Helper()
	p, spawns := readyPool(t, Options{Workers: 1, StopTimeout: stopTimeout}, nil)
	p.cancel()
	p.waitUntil("shutdown begun", func(st Status) bool { return st.State == PoolStopping })
	return p, spawns[0]
}

// A stopping worker's extensions move its SIGKILL, but never past twice
// the stop timeout after its SIGTERM.
func TestStopExtensionsEndAtTheHardCap(t *testing.T) {
	p, w := drainingWorker(t, 5*time.Second)
	p.advance(4 * time.Second)
	p.extend(w.req.ID, "3000000") // SIGKILL at 7s instead of 5s
	p.advance(3*time.Second - time.Millisecond)
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v before the extended deadline, want SIGTERM only", got)
	}
	p.extend(w.req.ID, forever)
	p.advance(3 * time.Second) // 10s - 1ms after SIGTERM
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v before the hard cap, want SIGTERM only", got)
	}
	p.advance(time.Millisecond)
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Fatalf("signals %v at twice the stop timeout, want SIGTERM then SIGKILL", got)
	}
	p.exit(w.req.ID, 137)
	if err := <-p.runErr; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

// A starting worker that extends its ready timeout without end is stopped
// at twice the ready timeout.
func TestStartExtensionsEndAtTheHardCap(t *testing.T) {
	p := startPool(t, Options{Workers: 1, ReadyTimeout: 5 * time.Second}, nil)
	w := p.spawns()[0]
	p.extend(w.req.ID, forever)
	p.advance(10*time.Second - time.Millisecond)
	if got := w.proc.signals(); len(got) != 0 {
		t.Fatalf("signals %v before the hard cap, want none", got)
	}
	p.extend(w.req.ID, forever) // cannot move it further
	p.advance(time.Millisecond)
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v at twice the ready timeout, want SIGTERM", got)
	}
}

// Once SIGKILL has gone out, an extension that arrives late sets no new
// deadline: no second SIGKILL, no warning.
func TestExtensionAfterSIGKILLIsIgnored(t *testing.T) {
	p, w := drainingWorker(t, 5*time.Second)
	p.advance(5 * time.Second)
	p.extend(w.req.ID, "1000000")
	p.advance(time.Hour)
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Fatalf("signals %v, want one SIGTERM and one SIGKILL", got)
	}
	if n := p.logs.Count("hard cap"); n != 0 {
		t.Errorf("%d warnings about the hard cap for a worker already killed", n)
	}
	p.exit(w.req.ID, 137)
}

func TestHardCapSaturates(t *testing.T) {
	if got := HardCap(math.MaxInt64); got <= 0 || got+time.Hour <= got {
		t.Errorf("HardCap(max) = %v: it overflows, or a margin added to it does", got)
	}
	if got := HardCap(30 * time.Second); got != time.Minute {
		t.Errorf("HardCap(30s) = %v, want 1m", got)
	}
}
