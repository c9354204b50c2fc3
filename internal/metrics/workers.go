package metrics

import (
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/poold/poold/internal/supervisor"
)

// workerStates are the states poold_worker_state reports; a worker's record
// is dropped as it is reaped.
var workerStates = []supervisor.State{supervisor.Starting, supervisor.Ready, supervisor.Stopping}

// collectWorker sends one worker's series, labelled slot, pid and
// generation. What the worker has not reported (metrics on its channel) or
// /proc no longer has (it just exited) is left out, not sent as 0.
func (c *Collector) collectWorker(ch chan<- prometheus.Metric, w supervisor.WorkerStatus, now time.Time) {
	id := []string{strconv.Itoa(w.Slot), strconv.Itoa(w.PID), strconv.Itoa(w.Generation)}
	g := func(d *prometheus.Desc, v float64, more ...string) {
		gauge(ch, d, v, slices.Concat(id, more)...)
	}
	for _, s := range workerStates {
		g(c.d.workerState, boolValue(w.State == s), s.String())
	}
	if !w.Started.IsZero() {
		g(c.d.workerStart, unixSeconds(w.Started))
	}
	if !w.ReadySince.IsZero() {
		g(c.d.workerReady, unixSeconds(w.ReadySince))
	}
	if !w.LastHeartbeat.IsZero() {
		g(c.d.heartbeatAge, max(0, now.Sub(w.LastHeartbeat).Seconds()))
	}
	if u, err := c.opts.Usage(w.PID); err == nil {
		g(c.d.rss, float64(u.RSS))
		counter(ch, c.d.cpu, u.CPU.Seconds(), id...)
	}
	if !w.MetricsAt.IsZero() {
		m := w.Metrics
		g(c.d.loopDelayP99, m.LoopDelayP99.Seconds())
		g(c.d.loopDelayMax, m.LoopDelayMax.Seconds())
		g(c.d.heapUsed, float64(m.HeapUsedBytes))
		g(c.d.heapTotal, float64(m.HeapTotalBytes))
		counter(ch, c.d.requests, float64(m.Requests), id...)
		g(c.d.activeRequests, float64(m.ActiveRequests))
	}
	cs, _ := c.opts.Channels.Stats(uint64(w.ID)) // none: closed, nothing dropped
	g(c.d.channelOpen, boolValue(cs.Open))
	counter(ch, c.d.channelDropped, float64(cs.Dropped), id...)
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
