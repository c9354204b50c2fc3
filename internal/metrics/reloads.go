package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/poold/poold/internal/supervisor"
)

// ReloadBuckets are the reload-duration histogram's upper bounds, in
// seconds: a reload takes each worker's start-up time, slot after slot.
var ReloadBuckets = []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}

// reloads is the reload-duration histogram with the number of reloads it
// has observed.
type reloads struct {
	mu   sync.Mutex // guards seen and the observations that move it
	seen int
	hist prometheus.Histogram
}

func newReloads(pool string) *reloads {
	return &reloads{hist: prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace:   namespace,
		Name:        "reload_duration_seconds",
		Help:        "How long finished reloads took, failed or not.",
		ConstLabels: prometheus.Labels{"pool": pool},
		Buckets:     ReloadBuckets,
	})}
}

// catchUp observes every reload c counts that has not been observed yet,
// with the last one's duration: a scrape that comes before Follow has
// seen a reload's end, and Follow after a Resync, count it this way.
func (r *reloads) catchUp(c supervisor.Counters) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; r.seen < c.Reloads; r.seen++ {
		r.hist.Observe(c.LastReload.Seconds())
	}
}

// observe records one finished reload of d, the counted-th the pool has
// finished, unless catchUp has counted it already.
func (r *reloads) observe(d time.Duration, counted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen < counted {
		r.hist.Observe(d.Seconds())
		r.seen++
	}
}

// Events is where Follow reads the pool's events: a
// supervisor.Subscription.
type Events interface {
	Ready() <-chan struct{}
	Take() []supervisor.Event
}

// Follow observes each reload as it ends, with its own duration, until ctx
// ends or done (the supervisor's Done) is closed.
func (c *Collector) Follow(ctx context.Context, events Events, done <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-events.Ready():
		}
		for _, ev := range events.Take() {
			switch ev := ev.(type) {
			case supervisor.ReloadFinished:
				c.reloads.observe(ev.Duration, ev.Pool.Counters.Reloads)
			case supervisor.Resync: // reloads may be among the lost events
				c.reloads.catchUp(ev.Pool.Counters)
			}
		}
	}
}
