package supervisor

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestFreezeAppliesWhatQuiesceLetThroughAndParks(t *testing.T) {
	p, spawns := readyPool(t, Options{Workers: 2}, nil)
	first := spawns[0].req.ID
	var quiesced bool
	state, err := p.sup.Freeze(context.Background(), func() error {
		// What the spawner posts before its goroutines stop is applied
		// before the state is taken.
		p.sup.post(Exited{ID: first, Status: ExitStatus{Code: 1}})
		quiesced = true
		return nil
	})
	if err != nil || !quiesced {
		t.Fatalf("Freeze = %v (quiesce called: %v)", err, quiesced)
	}
	if len(state.Workers) != 1 || state.Workers[0].ID == first || state.Workers[0].State != Ready {
		t.Fatalf("frozen workers %+v, want the one ready worker left", state.Workers)
	}
	if state.Target != 2 || !state.ToldReady || state.Slots[0].Failures != 1 || state.Counters.Started != 2 {
		t.Errorf("frozen state %+v, want target 2, told ready, slot 0's failure and 2 starts", state)
	}
	// Parked: the crashed slot is not respawned, nothing is answered.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.sup.Status(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Status of a parked loop = %v, want no answer", err)
	}
	if n := len(p.spawner.all()); n != 2 {
		t.Fatalf("%d spawns while parked, want 2", n)
	}
	p.sup.Resume()
	p.advance(time.Second) // the crashed slot's backoff
	if n := len(p.spawner.all()); n != 3 {
		t.Fatalf("%d spawns after the resume, want the crashed slot's too", n)
	}
}

func TestFreezeRefusesDuringARollout(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 2}, nil)
	reload := p.reload()
	p.waitUntil("the reload started", func(st Status) bool { return st.State == PoolReloading })
	called := false
	_, err := p.sup.Freeze(context.Background(), func() error { called = true; return nil })
	if !errors.Is(err, ErrBusy) || called {
		t.Fatalf("Freeze during a reload = %v (quiesce called: %v), want ErrBusy before any quiesce", err, called)
	}
	if len(reload) > 0 {
		t.Fatalf("the reload ended: %+v", <-reload)
	}
}

func TestFailedQuiesceResumesTheLoop(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 1}, nil)
	boom := errors.New("boom")
	if _, err := p.sup.Freeze(context.Background(), func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Freeze = %v, want the quiesce's error", err)
	}
	if st := p.status(); st.Ready != 1 {
		t.Fatalf("after a failed freeze: %+v", st)
	}
}

func TestRestoreAdoptsTheWorkersAndStartsNone(t *testing.T) {
	old, _ := readyPool(t, Options{Workers: 2}, nil)
	state, err := old.sup.Freeze(context.Background(), func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	adopted := map[WorkerID]*fakeProc{}
	succ := startPoolWith(t, Options{Workers: 5}, nil, func(s *Supervisor) {
		err := s.Restore(state, func(w FrozenWorker, probe bool, _ Sink) (Process, error) {
			if probe {
				t.Errorf("probe asked for ready worker %d", w.ID)
			}
			adopted[w.ID] = &fakeProc{pid: w.PID}
			return adopted[w.ID], nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	n := len(succ.spawner.all())
	// Listed as spawned for the harness, which ends them at cleanup.
	succ.spawner.mu.Lock()
	for id, proc := range adopted {
		succ.spawner.spawns = append(succ.spawner.spawns, spawned{SpawnRequest{ID: id}, proc})
	}
	succ.spawner.mu.Unlock()
	st := succ.status()
	if st.Target != 2 || st.Ready != 2 || st.State != PoolRunning || len(adopted) != 2 {
		t.Fatalf("restored pool %+v (adopted %v), want 2 ready workers of the frozen pool", st, adopted)
	}
	for _, w := range st.Workers {
		if w.PID != 1000+int(w.ID) {
			t.Errorf("worker %d has pid %d, want the frozen %d", w.ID, w.PID, 1000+int(w.ID))
		}
	}
	if n != 0 {
		t.Fatalf("the restored pool spawned %d workers, want none", n)
	}
	if _, told := lastReady(succ.notifier); told {
		t.Error("the restored loop told READY=1 itself: the upgrade tells it, with MAINPID")
	}
	// The next worker continues the frozen pool's IDs.
	succ.crash(st.Workers[0].ID)
	succ.advance(time.Second) // its backoff
	spawns := succ.spawns()[len(adopted):]
	if len(spawns) != 1 || spawns[0].req.ID != 3 || spawns[0].req.Slot != st.Workers[0].Slot {
		t.Fatalf("after a crash: spawns %+v, want worker 3 in slot %d", spawns, st.Workers[0].Slot)
	}
}

// A worker still starting when the pool froze is adopted with the
// listening probe, and keeps its ready deadline: not ready in time, the
// restored loop stops it.
func TestRestoredStartingWorkerKeepsItsDeadline(t *testing.T) {
	old := startPool(t, Options{Workers: 1, ReadyTimeout: 10 * time.Second}, nil)
	old.spawns()
	state, err := old.sup.Freeze(context.Background(), func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Workers) != 1 || state.Workers[0].State != Starting {
		t.Fatalf("frozen workers %+v, want one starting", state.Workers)
	}
	proc := &fakeProc{pid: state.Workers[0].PID}
	probed := false
	succ := startPoolWith(t, Options{Workers: 1, ReadyTimeout: 10 * time.Second}, nil, func(s *Supervisor) {
		// The successor's clock is its own fake: the frozen deadline is
		// on the old one's, which starts at the same instant.
		err := s.Restore(state, func(w FrozenWorker, probe bool, _ Sink) (Process, error) {
			probed = probe
			return proc, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	succ.spawner.mu.Lock()
	succ.spawner.spawns = append(succ.spawner.spawns, spawned{SpawnRequest{ID: state.Workers[0].ID}, proc})
	succ.spawner.mu.Unlock()
	if !probed {
		t.Error("a starting worker was adopted without the listening probe")
	}
	succ.advance(9 * time.Second)
	if got := proc.signals(); len(got) != 0 {
		t.Fatalf("signals %v before the ready deadline", got)
	}
	succ.advance(2 * time.Second)
	if got := proc.signals(); len(got) != 1 || got[0] != syscall.SIGTERM {
		t.Fatalf("signals %v after the ready deadline, want SIGTERM", got)
	}
}
