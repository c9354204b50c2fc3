package supervisor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readyPool starts n workers and makes them all ready.
func readyPool(t *testing.T, opts Options, n *fakeNotifier) (*pool, []spawned) {
	t.Helper()
	p := startPool(t, opts, n)
	spawns := p.spawns()
	for _, s := range spawns {
		p.ready(s.req.ID)
	}
	p.status()
	return p, spawns
}

// reload runs Reload on its own goroutine; the result arrives on the channel.
func (p *pool) reload() chan rolloutResult {
	done := make(chan rolloutResult, 1)
	go func() {
		gen, err := p.sup.Reload(context.Background())
		done <- rolloutResult{generation: gen, err: err}
	}()
	return done
}

// waitSpawns waits, through status barriers, until n workers were spawned:
// the reload request travels on its own goroutine.
func (p *pool) waitSpawns(n int) []spawned {
	p.t.Helper()
	p.waitUntil(fmt.Sprintf("%d spawns", n), func(Status) bool { return len(p.spawner.all()) >= n })
	return p.spawner.all()
}

func TestReloadReplacesSlotBySlotWithoutLosingReadyWorkers(t *testing.T) {
	n := &fakeNotifier{}
	p, old := readyPool(t, Options{Workers: 3}, n)
	done := p.reload()
	for slot := range 3 {
		spawns := p.waitSpawns(4 + slot)
		if len(spawns) != 4+slot {
			t.Fatalf("slot %d: %d spawns, want one new worker at a time", slot, len(spawns))
		}
		fresh := spawns[3+slot]
		if fresh.req.Slot != slot || fresh.req.Generation != 2 {
			t.Fatalf("new worker %+v, want slot %d generation 2", fresh.req, slot)
		}
		if got := old[slot].proc.signals(); len(got) != 0 {
			t.Fatalf("old worker of slot %d signalled %v before its replacement was ready", slot, got)
		}
		if st := p.status(); st.Ready < 3 {
			t.Fatalf("only %d ready workers during the reload", st.Ready)
		}
		p.ready(fresh.req.ID)
		p.status()
		if got := old[slot].proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
			t.Fatalf("old worker of slot %d got %v, want SIGTERM once replaced", slot, got)
		}
		p.sup.post(Exited{ID: old[slot].req.ID, Status: ExitStatus{}})
	}
	if res := <-done; res.err != nil || res.generation != 2 {
		t.Fatalf("Reload = %d, %v; want generation 2", res.generation, res.err)
	}
	st := p.status()
	for _, w := range st.Workers {
		if w.Generation != 2 || w.State != Ready {
			t.Errorf("worker %+v, want generation 2 and ready", w)
		}
	}
	msgs := n.messages()
	reloading := slices.Index(msgs, "RELOADING: reloading to generation 2")
	ready := slices.IndexFunc(msgs[max(reloading, 0):], func(m string) bool { return strings.HasPrefix(m, "READY: 3/3 workers ready") })
	if reloading < 0 || ready < 0 {
		t.Errorf("systemd saw:\n%s\nwant RELOADING then READY", strings.Join(msgs, "\n"))
	}
}

func TestReloadStopsWhenANewWorkerFails(t *testing.T) {
	tests := []struct {
		name string
		fail func(p *pool, fresh spawned)
		want string
	}{
		{"crash", func(p *pool, fresh spawned) { p.exit(fresh.req.ID, 1) }, "new worker exit code 1 before it was ready"},
		{"ready timeout", func(p *pool, _ spawned) { p.advance(time.Minute) }, "not ready after 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, old := readyPool(t, Options{Workers: 2, ReadyTimeout: time.Minute}, nil)
			done := p.reload()
			fresh := p.waitSpawns(3)[2]
			tt.fail(p, fresh)
			err := (<-done).err
			var rerr *ReloadError
			if !errors.As(err, &rerr) || rerr.Slot != 0 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Reload = %v, want a ReloadError at slot 0 saying %q", err, tt.want)
			}
			for _, o := range old {
				if got := o.proc.signals(); len(got) != 0 {
					t.Errorf("old worker %d signalled %v", o.req.ID, got)
				}
			}
			if sum := p.status().Summary; !strings.Contains(sum, "last reload failed at slot 0") {
				t.Errorf("summary %q does not report the failed reload", sum)
			}
			p.exit(fresh.req.ID, 1) // harmless if it already exited
			if st := p.status(); st.Ready != 2 || len(p.spawns()) != 3 {
				t.Fatalf("after the failed reload: %d ready, %d spawns; want the 2 old workers and no respawn", st.Ready, len(p.spawns()))
			}
		})
	}
}

func TestOneReloadAtATime(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 1}, nil)
	first := p.reload()
	p.waitSpawns(2)
	if _, err := p.sup.Reload(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Reload = %v, want ErrBusy", err)
	}
	if err := p.sup.Scale(context.Background(), 3, RefuseZero); !errors.Is(err, ErrBusy) {
		t.Fatalf("Scale during a reload = %v, want ErrBusy", err)
	}
	p.cancel()
	if err := (<-first).err; !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("Reload during shutdown = %v, want ErrShuttingDown", err)
	}
}

func TestScale(t *testing.T) {
	p, first := readyPool(t, Options{Workers: 2, MaxWorkers: 8}, nil)
	ctx := context.Background()
	if err := p.sup.Scale(ctx, 4, RefuseZero); err != nil {
		t.Fatal(err)
	}
	spawns := p.spawns()
	if len(spawns) != 4 || spawns[2].req.Slot != 2 || spawns[3].req.Slot != 3 {
		t.Fatalf("spawns %+v, want new slots 2 and 3", spawns)
	}
	if err := p.sup.Scale(ctx, 1, RefuseZero); err != nil {
		t.Fatal(err)
	}
	p.status()
	for _, s := range spawns {
		wantStopped := s.req.Slot >= 1
		if got := len(s.proc.signals()) > 0; got != wantStopped {
			t.Errorf("slot %d signalled = %v, want %v", s.req.Slot, got, wantStopped)
		}
	}
	if got := first[0].proc.signals(); len(got) != 0 {
		t.Fatalf("slot 0 signalled %v", got)
	}
	if st := p.status(); st.Target != 1 || st.Stopping != 3 {
		t.Fatalf("target %d stopping %d, want 1 and 3", st.Target, st.Stopping)
	}
}

func TestScaleRejectsBadCounts(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 2, MaxWorkers: 8}, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		n    int
		zero ScaleZero
		want string
	}{
		{-1, AllowZero, "-1 workers: want 0 or more"},
		{0, RefuseZero, "ask for zero explicitly"},
		{9, RefuseZero, "above the maximum of 8"},
	} {
		err := p.sup.Scale(ctx, tt.n, tt.zero)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Scale(%d) = %v, want invalid argument %q", tt.n, err, tt.want)
		}
	}
	if st := p.status(); st.Target != 2 || len(p.spawns()) != 2 {
		t.Fatalf("a rejected scale changed the pool: target %d", st.Target)
	}
	if err := p.sup.Scale(ctx, 0, AllowZero); err != nil {
		t.Fatal(err)
	}
	if st := p.status(); st.Target != 0 || st.Stopping != 2 {
		t.Fatalf("target %d stopping %d after scale to zero", st.Target, st.Stopping)
	}
}
