package supervisor

import (
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/channel"
)

// fakeMemory is a MemoryReader the test sets per PID.
type fakeMemory struct {
	mu  sync.Mutex
	rss map[int]uint64
}

func (m *fakeMemory) set(pid int, rss uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rss[pid] = rss
}

func (m *fakeMemory) read(pid int) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rss[pid], nil
}

// recycled reports whether slot got a new worker beside old, with old not
// yet signalled: a recycle started the surge way.
func recycledBeside(p *pool, old spawned) (spawned, bool) {
	for _, s := range p.spawns() {
		if s.req.Slot == old.req.Slot && s.req.ID > old.req.ID {
			return s, len(old.proc.signals()) == 0
		}
	}
	return spawned{}, false
}

func TestSilentWorkerIsRecycledReplacementFirst(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2, Health: Health{Watchdog: 10 * time.Second}}, nil)
	p.advance(5 * time.Second)
	for _, w := range old {
		p.heartbeat(w.req.ID)
	}
	p.advance(5 * time.Second)
	p.sup.post(Reported{ID: old[1].req.ID}) // slot 1 keeps reporting: a heartbeat too
	p.advance(6 * time.Second)              // slot 0 silent for 11s, slot 1 for 6s
	fresh, beside := recycledBeside(p, old[0])
	if !beside {
		t.Fatalf("spawns %+v: want slot 0 recycled, its new worker started before the old one is stopped", p.spawns())
	}
	if _, again := recycledBeside(p, old[1]); again {
		t.Fatal("slot 1 was recycled although it reported")
	}
	p.ready(fresh.req.ID)
	p.status()
	if got := old[0].proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("old worker got %v once its replacement was ready, want SIGTERM", got)
	}
	if c := p.status().Counters; c.Recycles["watchdog"] != 1 {
		t.Errorf("recycles %v, want 1 for watchdog", c.Recycles)
	}
}

func TestMemoryBreachMustLastBeforeRecycling(t *testing.T) {
	mem := &fakeMemory{rss: map[int]uint64{}}
	p, old := readyPool(t, Options{Workers: 1, Memory: mem.read,
		Health: Health{Memory: 100 << 20, MemoryFor: 5 * time.Second}}, nil)
	pid := old[0].proc.PID()
	seconds := func(n int) { // the loop samples once a second
		for range n {
			p.advance(time.Second)
		}
	}
	mem.set(pid, 300<<20) // a spike...
	seconds(3)
	mem.set(pid, 50<<20) // ...that passes
	seconds(1)
	mem.set(pid, 300<<20)
	seconds(5) // above at 5 samples, 4s apart: not yet
	if len(p.spawns()) != 1 {
		t.Fatal("recycled after a breach shorter than MemoryFor")
	}
	seconds(1)
	if _, beside := recycledBeside(p, old[0]); !beside {
		t.Fatalf("spawns %+v: want the worker recycled after 5s above the limit", p.spawns())
	}
	if c := p.status().Counters; c.Recycles["memory"] != 1 {
		t.Errorf("recycles %v, want 1 for memory", c.Recycles)
	}
}

func TestRecyclesGoOneAtATimeAndLetReloadsWait(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2, Health: Health{Requests: 100}}, nil)
	for _, w := range old { // both past any jitter
		p.sup.post(Reported{ID: w.req.ID, Metrics: channel.Metrics{Requests: 500}})
	}
	p.advance(time.Second)
	if got := len(p.spawns()); got != 3 {
		t.Fatalf("%d spawns, want one recycle at a time", got)
	}
	reload := p.reload()
	p.waitUntil("reload request queued", func(st Status) bool { return st.ReloadPending })
	fresh := p.spawns()[2]
	p.ready(fresh.req.ID)
	p.exit(old[0].req.ID, 0)
	// The recycle is done; the queued reload runs next, before any other
	// recycle: it replaces both slots anyway.
	gen2 := p.waitSpawns(4)[3]
	if gen2.req.Generation != 2 {
		t.Fatalf("next spawn %+v, want the reload's", gen2.req)
	}
	p.ready(gen2.req.ID)
	p.exit(fresh.req.ID, 0)
	last := p.waitSpawns(5)[4]
	p.ready(last.req.ID)
	p.exit(old[1].req.ID, 0)
	if res := <-reload; res.err != nil || res.generation != 2 {
		t.Fatalf("reload: %+v", res)
	}
	if c := p.status().Counters; c.Recycles["requests"] != 1 {
		t.Errorf("recycles %v, want 1", c.Recycles)
	}
}

func TestFailedRecycleBacksOff(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 1, Backoff: Backoff{Max: time.Minute},
		Health: Health{Age: time.Hour}}, nil)
	p.advance(2 * time.Hour)
	fresh := p.spawns()[1]
	p.crash(fresh.req.ID) // the replacement dies before it is ready
	p.advance(30 * time.Second)
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("%d spawns, want no new recycle within the backoff", got)
	}
	if sigs := old[0].proc.signals(); len(sigs) != 0 {
		t.Fatalf("the old worker got %v: it must keep serving", sigs)
	}
	p.advance(31 * time.Second)
	if got := len(p.spawns()); got != 3 {
		t.Fatalf("%d spawns, want the recycle tried again after the backoff", got)
	}
}

func TestJitterSpreadsLimitsByWorker(t *testing.T) {
	h := Health{Requests: 1000, Age: time.Hour}
	seen := map[uint64]bool{}
	for id := WorkerID(1); id <= 20; id++ {
		l := h.jittered(id)
		if l.requests < 1000 || l.requests > 1100 || l.age < time.Hour || l.age > time.Hour+6*time.Minute {
			t.Fatalf("worker %d: %+v outside [limit, limit+10%%]", id, l)
		}
		seen[l.requests] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 workers got only %d distinct request limits", len(seen))
	}
}

func TestSustainedLoopDelayRecycles(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 1, Health: Health{LoopDelay: 100 * time.Millisecond, LoopDelayFor: 3 * time.Second}}, nil)
	report := func(p99 time.Duration) {
		p.sup.post(Reported{ID: old[0].req.ID, Metrics: channel.Metrics{LoopDelayP99: p99}})
		p.advance(time.Second)
	}
	report(time.Second)
	report(time.Second)
	report(time.Millisecond) // recovered: the count starts again
	report(time.Second)
	report(time.Second) // high for 2s
	if len(p.spawns()) != 1 {
		t.Fatal("recycled before the delay lasted 3s")
	}
	report(time.Second)
	if _, beside := recycledBeside(p, old[0]); !beside {
		t.Fatalf("spawns %+v: want a recycle after 3s of high delay", p.spawns())
	}
}
