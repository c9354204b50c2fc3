package supervisor

import (
	"testing"
	"time"
)

func TestPoolState(t *testing.T) {
	p := startPool(t, Options{Workers: 2, MaxWorkers: 5, MaxUnavailable: 1, Ready: ReadyNotify}, nil)
	state := func() PoolState { return p.status().State }
	spawns := p.spawns()
	st := p.status()
	if st.State != PoolStarting || st.MaxWorkers != 5 || st.MaxUnavailable != 1 || st.ReadyMode != ReadyNotify {
		t.Fatalf("status %+v, want starting with max workers 5, max unavailable 1, ready mode notify", st)
	}
	p.crash(spawns[0].req.ID) // crashes before READY=1 leave the pool starting
	if got := state(); got != PoolStarting {
		t.Fatalf("state %v after a crash at start, want starting", got)
	}
	p.advance(time.Second)
	spawns = p.spawns()
	p.ready(spawns[1].req.ID)
	p.ready(spawns[2].req.ID)
	if got := state(); got != PoolRunning {
		t.Fatalf("state %v with every worker ready, want running", got)
	}
	p.crash(spawns[2].req.ID)
	if got := state(); got != PoolDegraded {
		t.Fatalf("state %v after a crash, want degraded", got)
	}
	p.advance(time.Second)
	spawns = p.spawns()
	p.ready(spawns[3].req.ID)
	if got := state(); got != PoolRunning {
		t.Fatalf("state %v after the slot recovered, want running", got)
	}
	p.reload()
	p.waitUntil("reloading", func(st Status) bool { return st.State == PoolReloading })
	p.sup.post(shutdownRequest{})
	if got := state(); got != PoolStopping {
		t.Fatalf("state %v during shutdown, want stopping", got)
	}
}

func TestPoolStateDuringARestart(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 2}, nil)
	p.restart(0)
	if st := p.waitUntil("restart under way", func(st Status) bool { return st.Starting == 1 }); st.State != PoolRunning {
		t.Fatalf("state %v during a surging restart, want running", st.State)
	}
}

func TestPoolStateCrashLoopingSlot(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 1, CrashLoopAfter: 2, Backoff: Backoff{Initial: time.Second, Max: time.Second}}, nil)
	p.crash(ws[0].req.ID)
	p.advance(time.Second)
	s := p.spawns()
	p.crash(s[len(s)-1].req.ID)
	p.advance(time.Second) // a new worker starts: the slot still crash-loops
	if st := p.status(); st.State != PoolCrashLooping || st.Starting != 1 {
		t.Fatalf("status %+v, want crash-looping while the slot crash-loops", st)
	}
}

func TestPoolStateString(t *testing.T) {
	for _, tt := range []struct {
		give PoolState
		want string
	}{
		{PoolStarting, "starting"}, {PoolRunning, "running"}, {PoolReloading, "reloading"},
		{PoolDegraded, "degraded"}, {PoolStopping, "stopping"}, {PoolCrashLooping, "crash-looping"}, {0, "PoolState(0)"},
	} {
		if got := tt.give.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.give), got, tt.want)
		}
	}
}
