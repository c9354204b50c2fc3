package supervisor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// live is the number of worker processes the pool has, in any state.
func live(st Status) int { return len(st.Workers) }

func TestStopFirstReloadKeepsTargetMinusKReady(t *testing.T) {
	const workers, k = 4, 2
	p, old := readyPool(t, Options{Workers: workers, MaxUnavailable: k}, nil)
	done := p.reload()
	st := p.waitUntil("reload under way", func(st Status) bool { return st.Stopping > 0 })
	if st.Stopping != k || len(p.spawns()) != workers {
		t.Fatalf("%d stopping, %d spawns: want %d old workers stopped at once and none started beside them", st.Stopping, len(p.spawns()), k)
	}
	for round := 0; ; round++ {
		if st.Ready < workers-k || live(st) > workers {
			t.Fatalf("round %d: %d ready and %d processes, want at least %d ready and at most %d processes", round, st.Ready, live(st), workers-k, workers)
		}
		var stopping, fresh []WorkerStatus
		for _, w := range st.Workers {
			switch {
			case w.State == Stopping:
				stopping = append(stopping, w)
			case w.Generation == 2 && w.State == Starting:
				fresh = append(fresh, w)
			}
		}
		if len(stopping)+len(fresh) > k {
			t.Fatalf("round %d: %d slots out at once, want at most %d", round, len(stopping)+len(fresh), k)
		}
		if len(stopping) == 0 && len(fresh) == 0 {
			break
		}
		for _, w := range stopping { // the old ones exit, then the new ones get ready
			p.sup.post(Exited{ID: w.ID, Status: ExitStatus{Signal: syscall.SIGTERM}})
		}
		for _, w := range fresh {
			p.ready(w.ID)
		}
		st = p.status()
	}
	res := <-done
	if res.err != nil || res.generation != 2 {
		t.Fatalf("Reload = %d, %v; want generation 2", res.generation, res.err)
	}
	for i, o := range old {
		if got := o.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
			t.Errorf("old worker of slot %d got %v, want SIGTERM", i, got)
		}
	}
	st = p.status()
	if st.Ready != workers || len(p.spawns()) != 2*workers {
		t.Fatalf("%d ready, %d spawns; want %d new workers", st.Ready, len(p.spawns()), workers)
	}
	for _, w := range st.Workers {
		if w.Generation != 2 {
			t.Errorf("worker %+v not replaced", w)
		}
	}
}

func TestStopFirstStopsBeforeStarting(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 3, MaxUnavailable: 1}, nil)
	done := p.restart(2)
	p.waitUntil("old worker stopped", func(st Status) bool { return st.Stopping == 1 })
	if got := len(p.spawns()); got != 3 {
		t.Fatalf("%d spawns, want none until the old worker has exited", got)
	}
	if got := old[2].proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("old worker got %v, want SIGTERM first", got)
	}
	p.exit(old[2].req.ID, 0)
	spawns := p.spawns()
	if len(spawns) != 4 || spawns[3].req.Slot != 2 || spawns[3].req.Generation != 1 {
		t.Fatalf("spawns %+v, want slot 2 refilled in generation 1", spawns)
	}
	p.ready(spawns[3].req.ID)
	if err := <-done; err != nil {
		t.Fatalf("RestartWorker = %v", err)
	}
}

func TestStopFirstReloadFailureRestartsTheSlotWithBackoff(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 3, MaxUnavailable: 1, Backoff: Backoff{Initial: time.Second, Max: time.Minute}}, nil)
	done := p.reload()
	p.waitUntil("old worker stopped", func(st Status) bool { return st.Stopping == 1 })
	p.exit(old[0].req.ID, 0)
	fresh := p.waitSpawns(4)[3]
	p.crash(fresh.req.ID)
	err := (<-done).err
	var rerr *ReloadError
	if !errors.As(err, &rerr) || rerr.Slot != 0 || !rerr.OldStopped || !strings.Contains(err.Error(), "the slot restarts with backoff") {
		t.Fatalf("Reload = %v, want a ReloadError at slot 0 with the old worker stopped", err)
	}
	for _, o := range old[1:] {
		if got := o.proc.signals(); len(got) != 0 {
			t.Errorf("untouched slot %d signalled %v", o.req.Slot, got)
		}
	}
	p.advance(time.Second - time.Millisecond)
	if got := len(p.spawns()); got != 4 {
		t.Fatalf("%d spawns before the backoff passed, want 4", got)
	}
	p.advance(time.Millisecond)
	spawns := p.spawns()
	if len(spawns) != 5 || spawns[4].req.Slot != 0 {
		t.Fatalf("spawns %+v, want slot 0 restarted after its backoff", spawns)
	}
	if sum := p.status().Summary; !strings.Contains(sum, "last reload failed at slot 0") {
		t.Errorf("summary %q does not report the failed reload", sum)
	}
}

func TestStopFirstCountsSlotsDownForOtherReasons(t *testing.T) {
	t.Run("crash-looping slot", func(t *testing.T) {
		p, old := readyPool(t, Options{Workers: 3, MaxUnavailable: 1, CrashLoopAfter: 1, Backoff: Backoff{Initial: time.Minute, Max: time.Hour}}, nil)
		done := p.reload()
		p.waitUntil("old worker stopped", func(st Status) bool { return st.Stopping == 1 })
		p.exit(old[0].req.ID, 0)
		fresh := p.waitSpawns(4)[3]
		p.ready(fresh.req.ID)
		p.waitUntil("slot 1 stopped", func(st Status) bool { return st.Stopping == 1 })
		p.exit(old[1].req.ID, 0)
		second := p.waitSpawns(5)[4]
		p.crash(fresh.req.ID) // slot 0 crash-loops now, outside the reload
		p.ready(second.req.ID)
		err := (<-done).err
		var rerr *ReloadError
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), "2 of 3 workers ready: stopping slot 2 would leave fewer than 2") {
			t.Fatalf("Reload = %v, want it stopped for want of ready workers", err)
		}
		if got := old[2].proc.signals(); len(got) != 0 {
			t.Errorf("slot 2 signalled %v", got)
		}
	})
	t.Run("slot coming back", func(t *testing.T) {
		p, old := readyPool(t, Options{Workers: 3, MaxUnavailable: 1, Backoff: Backoff{Initial: time.Second, Max: time.Minute}}, nil)
		done := p.reload()
		p.waitUntil("old worker stopped", func(st Status) bool { return st.Stopping == 1 })
		p.exit(old[0].req.ID, 0)
		p.ready(p.waitSpawns(4)[3].req.ID)
		p.crash(old[2].req.ID) // before the reload takes it on: filled at once
		back := p.waitSpawns(5)[4]
		if back.req.Slot != 2 || back.req.Generation != 2 {
			t.Fatalf("respawn %+v, want slot 2 in generation 2 without its backoff", back.req)
		}
		p.waitUntil("slot 1 stopped", func(st Status) bool { return st.Stopping == 1 })
		if got := len(p.spawns()); got != 5 {
			t.Fatalf("%d spawns, want slot 1 stopped first", got)
		}
		p.exit(old[1].req.ID, 0)
		p.ready(p.waitSpawns(6)[5].req.ID)
		if len(done) > 0 {
			t.Fatal("Reload done before slot 2's new worker was ready")
		}
		p.ready(back.req.ID)
		if res := <-done; res.err != nil || res.generation != 2 {
			t.Fatalf("Reload = %d, %v; want generation 2", res.generation, res.err)
		}
	})
}

func TestMaxUnavailableFollowsTheTarget(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 3, MaxWorkers: 8, MaxUnavailable: 2}, nil)
	if st := p.status(); st.MaxUnavailable != 2 {
		t.Fatalf("MaxUnavailable %d, want 2", st.MaxUnavailable)
	}
	if err := p.sup.Scale(context.Background(), 2, RefuseZero); err != nil {
		t.Fatal(err)
	}
	st := p.status()
	if st.MaxUnavailable != 1 {
		t.Fatalf("MaxUnavailable %d after scaling to 2, want 1", st.MaxUnavailable)
	}
	for _, w := range st.Workers {
		if w.Slot == 2 {
			p.exit(w.ID, 0)
		}
	}
	p.reload()
	if st := p.waitUntil("reload under way", func(st Status) bool { return st.Stopping > 0 }); st.Stopping != 1 || st.Ready != 1 {
		t.Fatalf("%d stopping, %d ready; want one slot out at a time", st.Stopping, st.Ready)
	}
}

func TestFailedStopFirstReloadStillTellsReady(t *testing.T) {
	n := &fakeNotifier{}
	p, old := readyPool(t, Options{Workers: 2, MaxUnavailable: 1}, n)
	done := p.reload()
	p.waitUntil("old worker stopped", func(st Status) bool { return st.Stopping == 1 })
	p.exit(old[0].req.ID, 0)
	p.crash(p.waitSpawns(3)[2].req.ID)
	if err := (<-done).err; err == nil {
		t.Fatal("Reload succeeded, want a failure")
	}
	p.status()
	msgs := n.messages()
	reloading := slices.Index(msgs, "RELOADING: reloading to generation 2")
	if reloading < 0 || !slices.ContainsFunc(msgs[reloading:], func(m string) bool { return strings.HasPrefix(m, "READY: 1/2 workers ready") }) {
		t.Fatalf("systemd saw:\n%s\nwant READY=1 after RELOADING=1 with one slot down", strings.Join(msgs, "\n"))
	}
}

func TestStopFirstWidthBoundsSlotsOutEvenWhenNoneIsReady(t *testing.T) {
	p := startPool(t, Options{Workers: 3, MaxUnavailable: 1}, nil)
	p.spawns()
	p.reload()
	st := p.waitUntil("reload under way", func(st Status) bool { return st.Stopping > 0 })
	if st.Stopping != 1 || st.Starting != 2 {
		t.Fatalf("%d stopping, %d starting: want one slot out at a time", st.Stopping, st.Starting)
	}
}

func TestStopFirstRefillSpawnFailureBacksOff(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2, MaxUnavailable: 1, Backoff: Backoff{Initial: time.Second, Max: time.Minute}}, nil)
	done := p.restart(0)
	p.waitUntil("old worker stopped", func(st Status) bool { return st.Stopping == 1 })
	p.spawner.mu.Lock()
	p.spawner.failNext = 1
	p.spawner.mu.Unlock()
	p.exit(old[0].req.ID, 0)
	err := <-done
	var rerr *ReloadError
	if !errors.As(err, &rerr) || !rerr.Restart || !rerr.OldStopped || !strings.Contains(err.Error(), "restart of slot 0 failed") {
		t.Fatalf("RestartWorker = %v, want a failed restart with the old worker stopped", err)
	}
	p.advance(time.Second - time.Millisecond)
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("%d spawns before the backoff passed, want 2", got)
	}
	p.advance(time.Millisecond)
	if got := p.spawns(); len(got) != 3 || got[2].req.Slot != 0 {
		t.Fatalf("spawns %+v, want slot 0 retried after its backoff", got)
	}
}
