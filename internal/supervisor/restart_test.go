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

func TestRestartWorkerReplacesOneSlotBesideTheOld(t *testing.T) {
	n := &fakeNotifier{}
	p, old := readyPool(t, Options{Workers: 3, StopTimeout: 5 * time.Second}, n)
	done := p.restart(1)
	fresh := p.waitSpawns(4)[3]
	if fresh.req.Slot != 1 || fresh.req.Generation != 1 {
		t.Fatalf("new worker %+v, want slot 1 of generation 1", fresh.req)
	}
	if got := old[1].proc.signals(); len(got) != 0 {
		t.Fatalf("old worker signalled %v before its replacement was ready", got)
	}
	if st := p.status(); st.Ready != 3 || st.Starting != 1 || !strings.Contains(st.Summary, "restarting slot 1") {
		t.Fatalf("during the restart: %d ready, %d starting, summary %q", st.Ready, st.Starting, st.Summary)
	}
	if pending(done) {
		t.Fatalf("RestartWorker returned %v before the new worker was ready", <-done)
	}
	p.ready(fresh.req.ID)
	if err := <-done; err != nil {
		t.Fatalf("RestartWorker = %v", err)
	}
	for i, o := range old {
		want := []syscall.Signal(nil)
		if i == 1 {
			want = []syscall.Signal{syscall.SIGTERM}
		}
		if got := o.proc.signals(); !slices.Equal(got, want) {
			t.Errorf("slot %d old worker got %v, want %v", i, got, want)
		}
	}
	p.advance(5 * time.Second)
	if got := old[1].proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Errorf("old worker got %v, want SIGKILL after the stop timeout", got)
	}
	if st := p.status(); st.Generation != 1 {
		t.Errorf("generation %d after a restart, want 1", st.Generation)
	}
	if slices.ContainsFunc(n.messages(), func(m string) bool { return strings.HasPrefix(m, "RELOADING") }) {
		t.Errorf("a restart told systemd RELOADING: %q", n.messages())
	}
}

func TestRestartWorkerExcludesOtherRollouts(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 2}, nil)
	ctx := context.Background()
	done := p.restart(0)
	p.waitSpawns(3)
	if _, err := p.sup.Reload(ctx); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "restart of slot 0") {
		t.Errorf("Reload during a restart = %v, want ErrBusy", err)
	}
	if err := p.sup.RestartWorker(ctx, 1); !errors.Is(err, ErrBusy) {
		t.Errorf("second RestartWorker = %v, want ErrBusy", err)
	}
	if err := p.sup.Scale(ctx, 3, RefuseZero); !errors.Is(err, ErrBusy) {
		t.Errorf("Scale during a restart = %v, want ErrBusy", err)
	}
	p.cancel()
	if err := <-done; !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("RestartWorker cut by a shutdown = %v, want ErrShuttingDown", err)
	}
}

func TestRestartWorkerDuringAReloadIsBusy(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 2}, nil)
	p.reload()
	p.waitSpawns(3)
	if err := p.sup.RestartWorker(context.Background(), 1); !errors.Is(err, ErrBusy) {
		t.Fatalf("RestartWorker during a reload = %v, want ErrBusy", err)
	}
}

func TestRestartWorkerFailureKeepsTheOldWorker(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2}, nil)
	done := p.restart(1)
	fresh := p.waitSpawns(3)[2]
	p.crash(fresh.req.ID)
	err := <-done
	var rerr *ReloadError
	if !errors.As(err, &rerr) || !rerr.Restart || rerr.Slot != 1 || rerr.OldStopped ||
		!strings.Contains(err.Error(), "restart of slot 1 failed: new worker exit code 1 before it was ready; the old worker keeps serving") {
		t.Fatalf("RestartWorker = %v, want a ReloadError for the restart of slot 1", err)
	}
	if got := old[1].proc.signals(); len(got) != 0 {
		t.Errorf("old worker signalled %v", got)
	}
	p.advance(time.Minute)
	if st := p.status(); st.Ready != 2 || len(p.spawns()) != 3 {
		t.Fatalf("after the failed restart: %d ready, %d spawns; want the old workers and no respawn", st.Ready, len(p.spawns()))
	}
}

func TestRestartWorkerRejects(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 2}, nil)
	ctx := context.Background()
	for _, slot := range []int{-1, 2} {
		err := p.sup.RestartWorker(ctx, slot)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "want 0..1") {
			t.Errorf("RestartWorker(%d) = %v, want an invalid argument", slot, err)
		}
	}
	p.sup.post(shutdownRequest{})
	if err := p.sup.RestartWorker(ctx, 0); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("RestartWorker during a shutdown = %v, want ErrShuttingDown", err)
	}
}

func TestRestartWorkerOfAnEmptySlotSkipsTheBackoff(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2, Backoff: Backoff{Initial: time.Minute, Max: time.Hour}}, nil)
	p.crash(old[1].req.ID)
	p.advance(time.Second)
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("%d spawns, want slot 1 waiting out its backoff", got)
	}
	if err := p.sup.RestartWorker(context.Background(), 1); err != nil {
		t.Fatalf("RestartWorker of an empty slot = %v", err)
	}
	spawns := p.spawns()
	if len(spawns) != 3 || spawns[2].req.Slot != 1 || spawns[2].req.Generation != 1 {
		t.Fatalf("spawns %+v, want slot 1 started at once", spawns)
	}
	if st := p.status(); st.Starting != 1 || strings.Contains(st.Summary, "restarting") {
		t.Fatalf("status %+v: want the new worker starting and the restart over", st)
	}
}

func TestRestartWorkerOfAStoppingSlotWaitsForTheExit(t *testing.T) {
	p := startPool(t, Options{Workers: 1, ReadyTimeout: 5 * time.Second, Backoff: Backoff{Initial: time.Minute, Max: time.Hour}}, nil)
	w := p.spawns()[0]
	p.advance(5 * time.Second) // not ready in time: stopped
	done := p.restart(0)
	p.waitUntil("restart under way", func(st Status) bool { return strings.Contains(st.Summary, "restarting slot 0") })
	if got := len(p.spawns()); got != 1 || pending(done) {
		t.Fatalf("%d spawns, done %v: want to wait for the stopping worker", got, pending(done))
	}
	p.sup.post(Exited{ID: w.req.ID, Status: ExitStatus{Signal: syscall.SIGTERM}})
	if err := <-done; err != nil {
		t.Fatalf("RestartWorker = %v", err)
	}
	if got := p.spawns(); len(got) != 2 || got[1].req.Slot != 0 {
		t.Fatalf("spawns %+v, want slot 0 refilled without the backoff", got)
	}
}
