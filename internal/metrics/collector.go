package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/procstat"
	"github.com/poold/poold/internal/supervisor"
)

// Pool is the supervisor as the collector reads it.
type Pool interface {
	Status(ctx context.Context) (supervisor.Status, error)
}

// Channels reports on the workers' stream channels: a *channel.Hub.
type Channels interface {
	Stats(id uint64) (channel.Stats, bool)
}

// Options are a Collector's sources; Pool and Channels are required.
type Options struct {
	Pool     Pool
	Channels Channels
	// NotifyRefused counts the workers' notify datagrams refused for their
	// sender; nil for none.
	NotifyRefused func() uint64
	// Usage reads a worker's memory and CPU; nil for procstat.Read.
	Usage func(pid int) (procstat.Sample, error)
	// Now is the clock heartbeat ages are measured with; nil for time.Now.
	Now func() time.Time
	// Timeout bounds the Status call of one scrape; 0 for DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds the Status call of a scrape.
const DefaultTimeout = 5 * time.Second

// Collector is a prometheus.Collector of one pool: it reads a snapshot of
// the pool at every scrape.
type Collector struct {
	opts    Options
	d       descs
	reloads *reloads
}

// New returns a collector of the pool named name.
func New(name string, opts Options) *Collector {
	if opts.Usage == nil {
		opts.Usage = procstat.Read
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Collector{opts: opts, d: newDescs(name), reloads: newReloads(name)}
}

// Describe sends every metric's description, the histogram's included.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d.all() {
		ch <- d
	}
	c.reloads.hist.Describe(ch)
}

// Collect reads the pool's snapshot and sends its metrics. A pool that does
// not answer (stopped) makes the scrape fail.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	st, err := c.opts.Pool.Status(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.d.targetWorkers, fmt.Errorf("pool status: %w", err))
		return
	}
	c.reloads.catchUp(st.Counters)
	c.reloads.hist.Collect(ch)
	c.collectPool(ch, st)
	now := c.opts.Now()
	for _, w := range st.Workers {
		c.collectWorker(ch, w, now)
	}
}

func (c *Collector) collectPool(ch chan<- prometheus.Metric, st supervisor.Status) {
	gauge(ch, c.d.targetWorkers, float64(st.Target))
	gauge(ch, c.d.maxWorkers, float64(st.MaxWorkers))
	gauge(ch, c.d.workers, float64(st.Starting), supervisor.Starting.String())
	gauge(ch, c.d.workers, float64(st.Ready), supervisor.Ready.String())
	gauge(ch, c.d.workers, float64(st.Stopping), supervisor.Stopping.String())
	gauge(ch, c.d.generation, float64(st.Generation))
	for s := supervisor.PoolStarting; s <= supervisor.PoolCrashLooping; s++ { // every state, the last one added last
		gauge(ch, c.d.poolState, boolValue(st.State == s), s.String())
	}
	n := st.Counters
	counter(ch, c.d.started, float64(n.Started))
	for _, cause := range withKeys(exitCauses, n.Exits) {
		counter(ch, c.d.exits, float64(n.Exits[cause]), cause)
	}
	for _, reason := range withKeys(nil, n.Recycles) {
		counter(ch, c.d.recycles, float64(n.Recycles[reason]), reason)
	}
	counter(ch, c.d.reloads, float64(n.Reloads))
	counter(ch, c.d.reloadsFailed, float64(n.ReloadsFailed))
	if n.Reloads > 0 {
		gauge(ch, c.d.lastReload, n.LastReload.Seconds())
	}
	if c.opts.NotifyRefused != nil {
		counter(ch, c.d.notifyRefused, float64(c.opts.NotifyRefused()))
	}
	seen := map[int]bool{} // during a reload a slot has two workers
	for _, w := range st.Workers {
		if !seen[w.Slot] {
			seen[w.Slot] = true
			counter(ch, c.d.slotRestarts, float64(w.Restarts), strconv.Itoa(w.Slot))
		}
	}
}

// exitCauses are the Exits keys, reported from 0 on.
var exitCauses = []string{"crash", "planned", "failed-start", "oom"}

// withKeys is known followed by m's other keys, sorted.
func withKeys(known []string, m map[string]int) []string {
	keys := slices.Clone(known)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
