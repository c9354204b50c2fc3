package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/procstat"
	"github.com/poold/poold/internal/supervisor"
)

// twoWorkers is a pool of target 2 during a restart of slot 1: slot 0 has
// a ready worker that reports metrics, slot 1 a starting one that has not.
func twoWorkers() supervisor.Status {
	return supervisor.Status{
		Name: "app", State: supervisor.PoolDegraded, Target: 2, MaxWorkers: 8,
		Ready: 1, Starting: 1, Generation: 3,
		Counters: supervisor.Counters{
			Started: 5,
			Exits:   map[string]int{"crash": 2, "planned": 1},
		},
		Workers: []supervisor.WorkerStatus{
			{
				ID: 1, Slot: 0, PID: 101, Generation: 3, State: supervisor.Ready,
				Started: epoch.Add(-time.Minute), ReadySince: epoch.Add(-50 * time.Second),
				LastHeartbeat: epoch.Add(-1500 * time.Millisecond), Restarts: 1,
				MetricsAt: epoch.Add(-1500 * time.Millisecond),
				Metrics: channel.Metrics{
					LoopDelayP99: 12 * time.Millisecond, LoopDelayMax: 40 * time.Millisecond,
					HeapUsedBytes: 30 << 20, HeapTotalBytes: 64 << 20, Requests: 1234, ActiveRequests: 3,
				},
			},
			{ID: 2, Slot: 1, PID: 102, Generation: 3, State: supervisor.Starting, Started: epoch.Add(-time.Second), Restarts: 4},
		},
	}
}

func newTestCollector(pool *fakePool) *Collector {
	return New("app", Options{
		Pool:          pool,
		Channels:      fakeChannels{1: {Open: true, Dropped: 7}},
		NotifyRefused: func() uint64 { return 9 },
		Usage:         usageOf(map[int]procstat.Sample{101: {RSS: 80 << 20, CPU: 2500 * time.Millisecond}}),
		Now:           func() time.Time { return epoch },
	})
}

func TestCollectorReportsThePool(t *testing.T) {
	f := scrape(t, newTestHandler(t, newTestCollector(&fakePool{st: twoWorkers()})))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"poold_target_workers", []string{"pool", "app"}, 2},
		{"poold_max_workers", nil, 8},
		{"poold_workers", []string{"state", "ready"}, 1},
		{"poold_workers", []string{"state", "starting"}, 1},
		{"poold_workers", []string{"state", "stopping"}, 0},
		{"poold_generation", nil, 3},
		{"poold_pool_state", []string{"state", "degraded"}, 1},
		{"poold_pool_state", []string{"state", "running"}, 0},
		{"poold_workers_started_total", nil, 5},
		{"poold_worker_exits_total", []string{"cause", "crash"}, 2},
		{"poold_worker_exits_total", []string{"cause", "planned"}, 1},
		{"poold_worker_exits_total", []string{"cause", "failed-start"}, 0},
		{"poold_reloads_total", nil, 0},
		{"poold_reloads_failed_total", nil, 0},
		{"poold_slot_restarts_total", []string{"slot", "0"}, 1},
		{"poold_slot_restarts_total", []string{"slot", "1"}, 4},
		{"poold_notify_refused_total", nil, 9},
	} {
		if got := f.value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(f["poold_pool_state"].GetMetric()); n != 6 {
		t.Errorf("poold_pool_state has %d series, want one per state (6)", n)
	}
	f.absent(t, "poold_worker_recycles_total") // none counted yet
	f.absent(t, "poold_last_reload_duration_seconds")
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if f[name] == nil {
			t.Errorf("no %s: the standard collectors are missing", name)
		}
	}
}

func TestCollectorReportsEachWorker(t *testing.T) {
	f := scrape(t, newTestHandler(t, newTestCollector(&fakePool{st: twoWorkers()})))
	w0 := []string{"pool", "app", "slot", "0", "pid", "101", "generation", "3"}
	w1 := []string{"slot", "1", "pid", "102", "generation", "3"}
	with := func(id []string, kv ...string) []string { return append(slices.Clone(id), kv...) }
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"poold_worker_state", with(w0, "state", "ready"), 1},
		{"poold_worker_state", with(w0, "state", "starting"), 0},
		{"poold_worker_state", with(w1, "state", "starting"), 1},
		{"poold_worker_start_time_seconds", w0, float64(epoch.Add(-time.Minute).Unix())},
		{"poold_worker_ready_time_seconds", w0, float64(epoch.Add(-50 * time.Second).Unix())},
		{"poold_worker_heartbeat_age_seconds", w0, 1.5},
		{"poold_worker_resident_memory_bytes", w0, 80 << 20},
		{"poold_worker_cpu_seconds_total", w0, 2.5},
		{"poold_worker_event_loop_delay_p99_seconds", w0, 0.012},
		{"poold_worker_event_loop_delay_max_seconds", w0, 0.04},
		{"poold_worker_heap_used_bytes", w0, 30 << 20},
		{"poold_worker_heap_total_bytes", w0, 64 << 20},
		{"poold_worker_requests_total", w0, 1234},
		{"poold_worker_active_requests", w0, 3},
		{"poold_worker_channel_open", w0, 1},
		{"poold_worker_channel_messages_dropped_total", w0, 7},
		{"poold_worker_channel_open", w1, 0},
		{"poold_worker_channel_messages_dropped_total", w1, 0},
	} {
		if got := f.value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Not reported yet, or not readable: left out rather than 0.
	for _, name := range []string{
		"poold_worker_ready_time_seconds", "poold_worker_heartbeat_age_seconds",
		"poold_worker_resident_memory_bytes", "poold_worker_cpu_seconds_total",
		"poold_worker_heap_used_bytes", "poold_worker_requests_total",
	} {
		f.absent(t, name, w1...)
	}
	if got := typeOf(f, "poold_worker_requests_total"); got != "counter" {
		t.Errorf("poold_worker_requests_total is a %s, want a counter", got)
	}
}

func TestGoneWorkersSeriesVanish(t *testing.T) {
	pool := &fakePool{st: twoWorkers()}
	h := newTestHandler(t, newTestCollector(pool))
	if got := scrape(t, h).withLabel("pid", "101"); len(got) == 0 {
		t.Fatal("no series of worker 101 while it runs")
	}
	st := twoWorkers()
	st.Workers = []supervisor.WorkerStatus{{ID: 3, Slot: 0, PID: 103, Generation: 4, State: supervisor.Ready, Started: epoch}}
	pool.set(st)
	f := scrape(t, h)
	for _, pid := range []string{"101", "102"} {
		if got := f.withLabel("pid", pid); len(got) != 0 {
			t.Errorf("worker %s is gone but has series %v", pid, got)
		}
	}
	if got := f.value(t, "poold_worker_state", "pid", "103", "state", "ready"); got != 1 {
		t.Errorf("worker 103 state ready = %v", got)
	}
	f.absent(t, "poold_slot_restarts_total", "slot", "1") // no worker in slot 1 now
}

func TestNewCountKeysShowUp(t *testing.T) {
	st := twoWorkers()
	st.Counters.Exits["oom-kill"] = 1
	st.Counters.Recycles = map[string]int{"memory": 2}
	f := scrape(t, newTestHandler(t, newTestCollector(&fakePool{st: st})))
	if got := f.value(t, "poold_worker_exits_total", "cause", "oom-kill"); got != 1 {
		t.Errorf("exits oom-kill = %v", got)
	}
	if got := f.value(t, "poold_worker_recycles_total", "reason", "memory"); got != 2 {
		t.Errorf("recycles memory = %v", got)
	}
}

func TestScrapeFailsWhenThePoolDoesNotAnswer(t *testing.T) {
	h := newTestHandler(t, newTestCollector(&fakePool{err: errors.New("supervisor: stopped")}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path, nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("GET %s from a stopped pool: %d, want 500", Path, rec.Code)
	}
}

// The names follow Prometheus's conventions, as promtool checks them.
func TestMetricNamesPassPromlint(t *testing.T) {
	st := twoWorkers()
	st.Counters.Recycles = map[string]int{"memory": 1}
	st.Counters.Reloads, st.Counters.LastReload = 1, time.Second
	reg := prometheus.NewRegistry()
	reg.MustRegister(newTestCollector(&fakePool{st: st}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
