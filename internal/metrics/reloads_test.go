package metrics

import (
	"context"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/poold/poold/internal/supervisor"
)

// histogram is the one reload-duration histogram of a scrape.
func histogram(t *testing.T, f families) *dto.Histogram {
	t.Helper()
	ms := f.find("poold_reload_duration_seconds", map[string]string{"pool": "app"})
	if len(ms) != 1 || ms[0].Histogram == nil {
		t.Fatalf("poold_reload_duration_seconds: %d series, want one histogram", len(ms))
	}
	return ms[0].Histogram
}

// observed is the sample count of c's histogram as it is now, without the
// catching up a scrape does.
func observed(t *testing.T, c *Collector) uint64 {
	t.Helper()
	var m dto.Metric
	if err := c.reloads.hist.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// fakeEvents hands Follow the events of the test. Its Ready channel is
// unbuffered: once Follow takes a send, it is done with the batch before.
type fakeEvents struct {
	ready chan struct{}
	mu    sync.Mutex
	queue []supervisor.Event
}

func (f *fakeEvents) Ready() <-chan struct{} { return f.ready }

func (f *fakeEvents) Take() []supervisor.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.queue
	f.queue = nil
	return evs
}

// publish hands evs to Follow and waits until it has handled them.
func (f *fakeEvents) publish(evs ...supervisor.Event) {
	f.mu.Lock()
	f.queue = append(f.queue, evs...)
	f.mu.Unlock()
	f.ready <- struct{}{}
	f.ready <- struct{}{}
}

func reloaded(reloads, failed int, last time.Duration) supervisor.Status {
	st := twoWorkers()
	st.Counters.Reloads, st.Counters.ReloadsFailed, st.Counters.LastReload = reloads, failed, last
	return st
}

func TestFollowObservesEachReloadAsItEnds(t *testing.T) {
	pool := &fakePool{st: twoWorkers()}
	c := newTestCollector(pool)
	events, done := &fakeEvents{ready: make(chan struct{})}, make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() { defer close(followed); c.Follow(ctx, events, done) }()
	defer func() { cancel(); <-followed }()

	// Two reloads end before Follow looks: each is observed with its own
	// duration, not twice the last one's.
	second := reloaded(2, 1, 40*time.Second)
	pool.set(second)
	events.publish(
		supervisor.ReloadFinished{After: supervisor.After{Pool: reloaded(1, 0, 2*time.Second)}, Duration: 2 * time.Second},
		supervisor.ReloadFinished{After: supervisor.After{Pool: second}, Duration: 40 * time.Second},
	)
	if got := observed(t, c); got != 2 {
		t.Fatalf("%d reloads observed by Follow, want 2", got)
	}

	f := scrape(t, newTestHandler(t, c))
	h := histogram(t, f)
	if h.GetSampleCount() != 2 || h.GetSampleSum() != 42 {
		t.Errorf("histogram count %d sum %v, want 2 and 42 (2s, then 40s)", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		want := uint64(0)
		switch {
		case b.GetUpperBound() >= 40:
			want = 2
		case b.GetUpperBound() >= 2:
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	for name, want := range map[string]float64{
		"poold_reloads_total": 2, "poold_reloads_failed_total": 1, "poold_last_reload_duration_seconds": 40,
	} {
		if got := f.value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// A Resync stands for events Follow lost: the reloads among them are
	// caught up from its snapshot.
	third := reloaded(3, 1, 5*time.Second)
	pool.set(third)
	events.publish(supervisor.Resync{After: supervisor.After{Pool: third}, Lost: 70})
	if got := observed(t, c); got != 3 {
		t.Fatalf("%d reloads observed after a Resync, want 3", got)
	}

	close(done) // the supervisor stopped: Follow returns
	<-followed
}

// A scrape catches the histogram up with the reload counter, so that the two
// agree in every scrape.
func TestScrapeCatchesUpWithReloads(t *testing.T) {
	pool := &fakePool{st: twoWorkers()}
	c := newTestCollector(pool)
	h := newTestHandler(t, c)
	if got := histogram(t, scrape(t, h)).GetSampleCount(); got != 0 {
		t.Fatalf("histogram count %d before any reload", got)
	}
	st := twoWorkers()
	st.Counters.Reloads, st.Counters.LastReload = 1, 3*time.Second
	pool.set(st)
	f := scrape(t, h)
	if got, want := histogram(t, f).GetSampleCount(), uint64(f.value(t, "poold_reloads_total")); got != want || got != 1 {
		t.Errorf("histogram count %d, reloads_total %d; want 1 and 1", got, want)
	}
	if got := histogram(t, scrape(t, h)).GetSampleCount(); got != 1 {
		t.Errorf("histogram count %d after a second scrape, want still 1", got)
	}
}
