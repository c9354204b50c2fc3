package supervisor

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// crashLooping makes every slot of a ready pool crash until it is
// crash-looping, and returns with every slot empty, waiting out its backoff.
func crashLooping(t *testing.T, p *pool, slots ...int) {
	t.Helper()
	for _, slot := range slots {
		for _, w := range p.status().Workers {
			if w.Slot == slot {
				p.crash(w.ID)
			}
		}
	}
	p.status()
	for _, slot := range slots {
		if st := p.sup.slots[slot]; !st.crashLoop || st.notBefore.IsZero() {
			t.Fatalf("slot %d: %+v, want it crash-looping", slot, st)
		}
	}
}

// lastReady is the last READY=1 systemd was sent, without its prefix.
func lastReady(n *fakeNotifier) (string, bool) {
	msgs := n.messages()
	for _, m := range slices.Backward(msgs) {
		if rest, ok := strings.CutPrefix(m, "READY: "); ok {
			return rest, true
		}
	}
	return "", false
}

// crashLoopOpts crash-loop after one failure and wait 30s to restart.
var crashLoopOpts = Options{Workers: 2, CrashLoopAfter: 1, ReadyTimeout: time.Minute,
	Backoff: Backoff{Initial: 30 * time.Second, Max: 30 * time.Second}}

// A pool whose every slot crash-loops (a bad deploy) reloads to fixed code
// at once: the reload starts every empty slot without its backoff, waits
// for the new workers and tells systemd READY=1.
func TestReloadOfACrashLoopingPoolStartsEverySlotAtOnce(t *testing.T) {
	n := &fakeNotifier{}
	p, _ := readyPool(t, crashLoopOpts, n)
	crashLooping(t, p, 0, 1)
	done := p.reload()
	fresh := p.waitSpawns(4)[2:]
	for i, s := range fresh {
		if s.req.Slot != i || s.req.Generation != 2 {
			t.Fatalf("spawn %+v, want slot %d in generation 2, started with no clock advance", s.req, i)
		}
	}
	p.ready(fresh[0].req.ID)
	p.status()
	if len(done) > 0 {
		t.Fatal("Reload returned with one of two new workers ready")
	}
	p.ready(fresh[1].req.ID)
	if res := <-done; res.err != nil || res.generation != 2 {
		t.Fatalf("Reload = %d, %v; want generation 2", res.generation, res.err)
	}
	if st := p.status(); st.Generation != 2 || strings.Contains(st.Summary, "crash-looping") {
		t.Errorf("status: generation %d, summary %q; want 2, and no slot crash-looping", st.Generation, st.Summary)
	}
	if got, ok := lastReady(n); !ok || got != "2/2 workers ready" {
		t.Errorf("last READY=1 %q, want one with 2/2 ready", got)
	}
}

// A reload whose new worker cannot start fails within the ready timeout,
// whether the pool serves (slot 0) or not (slot 1, crash-looping); systemd
// hears READY=1 with the reason, and the pool keeps its generation.
func TestReloadThatCannotStartFailsAndTellsWhy(t *testing.T) {
	tests := []struct {
		name  string
		fail  func(p *pool, fresh spawned)
		slots []int // where it may fail: both new workers time out at once
		want  string
	}{
		{"crash", func(p *pool, fresh spawned) { p.crash(fresh.req.ID) }, []int{1}, "new worker exit code 1 before it was ready"},
		{"ready timeout", func(p *pool, _ spawned) {
			p.advance(time.Minute - time.Millisecond)
			if st := p.status(); st.State != PoolReloading {
				p.t.Fatalf("state %v before the ready timeout, want reloading", st.State)
			}
			p.advance(time.Millisecond)
		}, []int{0, 1}, "not ready after 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &fakeNotifier{}
			p, old := readyPool(t, crashLoopOpts, n)
			crashLooping(t, p, 1)
			done := p.reload()
			spawns := p.waitSpawns(4)
			fill := spawns[2]
			if fill.req.Slot != 1 || spawns[3].req.Slot != 0 {
				t.Fatalf("spawns %+v, want slot 1 filled and slot 0 replaced beside its worker", spawns)
			}
			tt.fail(p, fill)
			res := <-done
			var rerr *ReloadError
			if !errors.As(res.err, &rerr) || !slices.Contains(tt.slots, rerr.Slot) || res.generation != 1 {
				t.Fatalf("Reload = %d, %v; want a ReloadError at slot %v and generation 1", res.generation, res.err, tt.slots)
			}
			want := fmt.Sprintf("last reload failed at slot %d: %s", rerr.Slot, tt.want)
			st := p.status()
			if st.Generation != 1 || st.State == PoolReloading {
				t.Errorf("after the failed reload: generation %d, state %v; want 1, not reloading", st.Generation, st.State)
			}
			if got, ok := lastReady(n); !ok || !strings.HasPrefix(got, "1/2 workers ready") || !strings.Contains(got, want) {
				t.Errorf("last READY=1 %q, want 1/2 ready and %q", got, want)
			}
			if got := old[0].proc.signals(); len(got) != 0 {
				t.Errorf("slot 0's worker, which still serves, got %v", got)
			}
			if got := spawns[3].proc.signals(); len(got) != 1 {
				t.Errorf("slot 0's new worker got %v, want SIGTERM: the reload that started it failed", got)
			}
		})
	}
}

// A failed reload leaves the pool's generation; workers started after it
// get that one, and the next reload a number not used before.
func TestFailedReloadKeepsTheGeneration(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2}, nil)
	done := p.reload()
	p.crash(p.waitSpawns(3)[2].req.ID)
	if res := <-done; res.err == nil || res.generation != 1 {
		t.Fatalf("Reload = %d, %v; want a failure and generation 1", res.generation, res.err)
	}
	p.crash(old[1].req.ID)
	p.advance(time.Second)
	if s := p.spawns()[3]; s.req.Slot != 1 || s.req.Generation != 1 {
		t.Fatalf("restart %+v, want slot 1 in generation 1", s.req)
	}
	done = p.reload()
	if s := p.waitSpawns(5)[4]; s.req.Generation != 3 {
		t.Fatalf("next reload's worker %+v, want generation 3", s.req)
	}
	if st := p.status(); st.Generation != 1 || !strings.Contains(st.Summary, "reloading to generation 3") {
		t.Fatalf("status during the reload: generation %d, %q; want 1, reloading to 3", st.Generation, st.Summary)
	}
	p.cancel()
	<-done
}

// A reload before the pool was ever ready tells systemd nothing of it: its
// start is still under way, and READY=1 comes once MinReady are ready.
func TestReloadBeforeReadyDoesNotTellSystemd(t *testing.T) {
	n := &fakeNotifier{}
	p := startPool(t, Options{Workers: 1}, n)
	first := p.spawns()[0]
	done := p.reload()
	fresh := p.waitSpawns(2)[1]
	p.ready(fresh.req.ID)
	if res := <-done; res.err != nil {
		t.Fatalf("Reload = %v", res.err)
	}
	p.exit(first.req.ID, 0)
	p.status()
	msgs := n.messages()
	if slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "RELOADING") }) {
		t.Errorf("systemd saw %q, want no RELOADING=1 before the first READY=1", msgs)
	}
	if i := slices.IndexFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "READY") }); i < 0 {
		t.Errorf("systemd saw %q, want READY=1 once the new worker was ready", msgs)
	}
}
