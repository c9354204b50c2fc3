package metrics

import "github.com/prometheus/client_golang/prometheus"

// namespace prefixes every metric of poold's own.
const namespace = "poold"

// workerLabels identify one worker's series; pool is a constant label.
var workerLabels = []string{"slot", "pid", "generation"}

// descs are the metrics the collector reads from a snapshot.
type descs struct {
	targetWorkers, maxWorkers, workers, generation, poolState *prometheus.Desc
	started, exits, recycles, reloads, reloadsFailed          *prometheus.Desc
	lastReload, slotRestarts, notifyRefused                   *prometheus.Desc

	workerState, workerStart, workerReady, heartbeatAge       *prometheus.Desc
	rss, cpu, loopDelayP99, loopDelayMax, heapUsed, heapTotal *prometheus.Desc
	requests, activeRequests, channelOpen, channelDropped     *prometheus.Desc
}

func newDescs(pool string) descs {
	constant := prometheus.Labels{"pool": pool}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_"+name, help, labels, constant)
	}
	w := func(name, help string, labels ...string) *prometheus.Desc {
		return d(name, help, append(append([]string{}, workerLabels...), labels...)...)
	}
	return descs{
		targetWorkers: d("target_workers", "Workers the pool aims to run (--workers, or the last Scale)."),
		maxWorkers:    d("max_workers", "Highest worker count Scale accepts (--max-workers)."),
		workers:       d("workers", "Workers in each state: starting, ready or stopping.", "state"),
		generation:    d("generation", "The pool's generation: 1, then that of the last reload that succeeded."),
		poolState:     d("pool_state", "1 for the pool's current state, 0 for the others.", "state"),
		started:       d("workers_started_total", "Workers started since poold started."),
		exits:         d("worker_exits_total", "Workers that exited, by cause: crash, planned, failed-start or oom.", "cause"),
		recycles:      d("worker_recycles_total", "Workers replaced for their health, by reason.", "reason"),
		reloads:       d("reloads_total", "Reloads finished, failed or not."),
		reloadsFailed: d("reloads_failed_total", "Reloads that failed."),
		lastReload:    d("last_reload_duration_seconds", "How long the last finished reload took."),
		slotRestarts:  d("slot_restarts_total", "Times the slot's worker was restarted after it exited on its own; for slots that have a worker.", "slot"),
		notifyRefused: d("notify_refused_total", "Notify datagrams dropped because neither the worker nor a process it started sent them as poold's user or root."),

		workerState:    w("worker_state", "1 for the worker's current state, 0 for the others.", "state"),
		workerStart:    w("worker_start_time_seconds", "When the worker started, in seconds since the epoch."),
		workerReady:    w("worker_ready_time_seconds", "When the worker became ready, in seconds since the epoch."),
		heartbeatAge:   w("worker_heartbeat_age_seconds", "Time since the worker's last heartbeat (WATCHDOG=1 or channel metrics)."),
		rss:            w("worker_resident_memory_bytes", "The worker process's resident memory (/proc)."),
		cpu:            w("worker_cpu_seconds_total", "The worker process's user and system CPU time (/proc)."),
		loopDelayP99:   w("worker_event_loop_delay_p99_seconds", "Event-loop delay, 99th percentile, as the worker last reported it."),
		loopDelayMax:   w("worker_event_loop_delay_max_seconds", "Event-loop delay, maximum, as the worker last reported it."),
		heapUsed:       w("worker_heap_used_bytes", "Heap in use, as the worker last reported it."),
		heapTotal:      w("worker_heap_total_bytes", "Heap allocated, as the worker last reported it."),
		requests:       w("worker_requests_total", "Requests the worker served, as it last reported them."),
		activeRequests: w("worker_active_requests", "Requests in progress, as the worker last reported them."),
		channelOpen:    w("worker_channel_open", "1 when the worker said hello on its stream channel."),
		channelDropped: w("worker_channel_messages_dropped_total", "Messages to the worker dropped because it did not read them."),
	}
}

func (d descs) all() []*prometheus.Desc {
	return []*prometheus.Desc{
		d.targetWorkers, d.maxWorkers, d.workers, d.generation, d.poolState,
		d.started, d.exits, d.recycles, d.reloads, d.reloadsFailed, d.lastReload, d.slotRestarts, d.notifyRefused,
		d.workerState, d.workerStart, d.workerReady, d.heartbeatAge,
		d.rss, d.cpu, d.loopDelayP99, d.loopDelayMax, d.heapUsed, d.heapTotal,
		d.requests, d.activeRequests, d.channelOpen, d.channelDropped,
	}
}
