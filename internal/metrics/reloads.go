package metrics

import (
	"context"
	"sync"

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

// catchUp observes every reload c counts that has not been observed yet.
// It sees each reload's own duration when called between two reloads,
// which Follow does within a loop iteration of the reload's end; should
// two reloads end before it looks, both get the later one's duration.
func (r *reloads) catchUp(c supervisor.Counters) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; r.seen < c.Reloads; r.seen++ {
		r.hist.Observe(c.LastReload.Seconds())
	}
}

// Follow observes each reload as it ends, reading the pool on every change
// announced on changes (a supervisor.Subscribe channel), until ctx ends or
// done (the supervisor's Done) is closed.
func (c *Collector) Follow(ctx context.Context, changes, done <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-changes:
		}
		st, err := c.opts.Pool.Status(ctx)
		if err != nil {
			continue // stopping: ctx or done ends the loop
		}
		c.reloads.catchUp(st.Counters)
	}
}
