package supervisor

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// New tunables apply to what the loop does next: the next crash waits out
// the new restart delay, the worker started then gets the new ready
// timeout; invalid ones are refused.
func TestRetuneAppliesToTheNextWorker(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 1, ReadyTimeout: time.Minute}, nil)
	bad := Tunables{ReadyTimeout: 0, Backoff: Backoff{Initial: time.Second, Max: time.Second, StableAfter: time.Second}}
	if err := p.sup.Retune(context.Background(), bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Retune(%+v) = %v, want ErrInvalidArgument", bad, err)
	}
	good := Tunables{ReadyTimeout: 5 * time.Second, Backoff: Backoff{Initial: time.Second, Max: 2 * time.Second, StableAfter: time.Second}}
	if err := p.sup.Retune(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	p.crash(old[0].req.ID)
	p.advance(500 * time.Millisecond)
	if n := len(p.spawns()); n != 1 {
		t.Fatalf("%d spawns half a second after the crash, want the new restart delay of 1s waited out", n)
	}
	p.advance(500 * time.Millisecond)
	fresh := p.spawns()[1]
	p.advance(5 * time.Second)
	if got := p.spawner.all()[1].proc.signals(); len(got) != 1 || got[0] != syscall.SIGTERM {
		t.Fatalf("worker %d, not ready after the new ready timeout, got %v; want SIGTERM", fresh.req.ID, got)
	}
}

// Recycling turned on by Retune in a pool started without it: the worker
// started after it is recycled at its age.
func TestRetuneTurnsHealthOn(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 1}, nil)
	tun := Tunables{ReadyTimeout: time.Minute, Backoff: testOptions(Options{}).Backoff, Health: Health{Age: time.Hour}}
	if err := p.sup.Retune(context.Background(), tun); err != nil {
		t.Fatal(err)
	}
	p.crash(old[0].req.ID)
	p.advance(time.Second)
	aged := p.spawns()[1]
	p.ready(aged.req.ID)
	p.advance(2 * time.Hour)
	if _, ok := recycledBeside(p, aged); !ok {
		t.Fatalf("spawns %+v: want the worker started after Retune recycled at its age", p.spawns())
	}
}
