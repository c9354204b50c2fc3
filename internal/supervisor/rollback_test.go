package supervisor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/config"
)

var (
	specA = config.WorkerSpec{Command: []string{"app", "v1"}, Env: []string{"PORT=1", "OLD=x"}}
	specB = config.WorkerSpec{Command: []string{"app", "v2"}, Env: []string{"PORT=2", "NEW=y"}}
)

// reloadWith runs ReloadWith on its own goroutine; the result arrives on the channel.
func (p *pool) reloadWith(spec config.WorkerSpec) chan rolloutResult {
	done := make(chan rolloutResult, 1)
	go func() {
		gen, err := p.sup.ReloadWith(context.Background(), spec)
		done <- rolloutResult{generation: gen, err: err}
	}()
	return done
}

// runningGenerations are the generations of the workers that run, by slot.
func runningGenerations(st Status) map[int][]int {
	out := map[int][]int{}
	for _, w := range st.Workers {
		if w.State == Ready || w.State == Starting {
			out[w.Slot] = append(out[w.Slot], w.Generation)
		}
	}
	return out
}

// A reload that brings a new spec and fails at slot 1 does not leave
// slot 0 on the new spec: slot 0 is rolled back, readiness-gated, to the
// pool's generation and spec, and only then does Reload return.
func TestFailedReloadWithANewSpecRollsBack(t *testing.T) {
	n := &fakeNotifier{}
	p, old := readyPool(t, Options{Workers: 3, Spec: specA}, n)
	done := p.reloadWith(specB)
	fresh0 := p.waitSpawns(4)[3]
	if fresh0.req.Slot != 0 || fresh0.req.Generation != 2 || !slices.Equal(fresh0.req.Spec.Command, specB.Command) {
		t.Fatalf("first new worker %+v, want slot 0, generation 2, spec B", fresh0.req)
	}
	st := p.status()
	if len(st.Generations) != 2 || st.Generations[1].From != 1 ||
		st.Generations[1].Changes.String() != "command app v1 → app v2; env +NEW -OLD ~PORT" {
		t.Fatalf("generations during the reload: %+v", st.Generations)
	}
	p.ready(fresh0.req.ID)
	p.exit(old[0].req.ID, 0) // stopped once its replacement was ready
	fresh1 := p.waitSpawns(5)[4]
	p.crash(fresh1.req.ID) // generation 2 cannot start in slot 1

	back := p.waitSpawns(6)[5]
	if back.req.Slot != 0 || back.req.Generation != 1 || !slices.Equal(back.req.Spec.Command, specA.Command) {
		t.Fatalf("rollback worker %+v, want slot 0 back to generation 1, spec A", back.req)
	}
	if st := p.status(); !strings.Contains(st.Summary, "rolling back to generation 1") || len(done) > 0 {
		t.Fatalf("summary %q (answered: %v), want the rollback under way and Reload waiting for it", st.Summary, len(done) > 0)
	}
	if got := fresh0.proc.signals(); len(got) != 0 {
		t.Fatalf("slot 0's generation 2 worker got %v before its rollback replacement was ready", got)
	}
	p.ready(back.req.ID)
	res := <-done
	var rerr *ReloadError
	if !errors.As(res.err, &rerr) || !rerr.RolledBack || rerr.Previous != 1 || rerr.Slot != 1 || res.generation != 1 {
		t.Fatalf("Reload = %d, %v; want a ReloadError at slot 1, rolled back to generation 1", res.generation, res.err)
	}
	if !strings.Contains(res.err.Error(), "rolled back: every worker runs generation 1 again") {
		t.Errorf("error %q does not say the pool was rolled back", res.err)
	}
	p.exit(fresh0.req.ID, 0)
	st = p.status()
	if got := runningGenerations(st); !slices.Equal(got[0], []int{1}) || !slices.Equal(got[1], []int{1}) || !slices.Equal(got[2], []int{1}) {
		t.Errorf("running generations by slot %v, want generation 1 everywhere", got)
	}
	if len(st.Generations) != 1 || st.Generations[0].Generation != 1 {
		t.Errorf("live generations %+v, want only 1", st.Generations)
	}
	if got, ok := lastReady(n); !ok || !strings.Contains(got, "rolled back to generation 1") {
		t.Errorf("last READY=1 %q, want it to say the reload was rolled back", got)
	}
	if st.Counters.ReloadsFailed != 1 {
		t.Errorf("failed reloads %d, want 1", st.Counters.ReloadsFailed)
	}
}

// reloadFailingAtSlot1 reloads a pool of two workers of spec A to spec:
// slot 0's new worker gets ready, slot 1's crashes.
func reloadFailingAtSlot1(t *testing.T, spec config.WorkerSpec) (*pool, chan rolloutResult) {
	p, old := readyPool(t, Options{Workers: 2, Spec: specA}, nil)
	done := p.reloadWith(spec)
	p.ready(p.waitSpawns(3)[2].req.ID)
	p.exit(old[0].req.ID, 0)
	p.crash(p.waitSpawns(4)[3].req.ID)
	return p, done
}

// When the rollback cannot start either, Reload says both.
func TestFailedRollbackIsReported(t *testing.T) {
	p, done := reloadFailingAtSlot1(t, specB)
	p.crash(p.waitSpawns(5)[4].req.ID) // the rollback's worker of slot 0
	res := <-done
	var rerr *ReloadError
	if !errors.As(res.err, &rerr) || rerr.RolledBack || !strings.Contains(rerr.RollbackFailed, "slot 0") {
		t.Fatalf("Reload = %v; want the reload's error with the rollback's failure at slot 0", res.err)
	}
	if !strings.Contains(res.err.Error(), "the rollback to generation 1 failed too") {
		t.Errorf("error %q does not say the rollback failed", res.err)
	}
}

// A reload to the same spec keeps today's meaning: a failure leaves the
// replaced slots as they are, without a rollback.
func TestFailedReloadWithTheSameSpecDoesNotRollBack(t *testing.T) {
	p, done := reloadFailingAtSlot1(t, specA)
	res := <-done
	var rerr *ReloadError
	if !errors.As(res.err, &rerr) || rerr.RolledBack || rerr.RollbackFailed != "" {
		t.Fatalf("Reload = %v; want a plain ReloadError", res.err)
	}
	if got := len(p.spawns()); got != 4 {
		t.Errorf("%d spawns, want 4: no rollback worker", got)
	}
}

// After a reload to a new spec, a crashed worker comes back with it.
func TestRestartAfterReloadUsesTheNewSpec(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 1, Spec: specA}, nil)
	done := p.reloadWith(specB)
	fresh := p.waitSpawns(2)[1]
	p.ready(fresh.req.ID)
	if res := <-done; res.err != nil || res.generation != 2 {
		t.Fatalf("Reload = %d, %v", res.generation, res.err)
	}
	p.exit(old[0].req.ID, 0)
	p.crash(fresh.req.ID)
	p.advance(time.Second)
	if s := p.spawns()[2]; s.req.Generation != 2 || !slices.Equal(s.req.Spec.Command, specB.Command) {
		t.Fatalf("restart %+v, want generation 2 with spec B", s.req)
	}
	if st := p.status(); len(st.Generations) != 1 || st.Generations[0].Generation != 2 {
		t.Errorf("live generations %+v, want only 2", st.Generations)
	}
}
