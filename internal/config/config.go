package config

import (
	"log/slog"
	"time"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/nodejs"
	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/workerlog"
)

// Config is poold's whole configuration.
type Config struct {
	Name    string // pool name: --name, else derived (see DeriveName)
	Listen  []activation.ListenSpec
	Workers WorkerCount
	// MaxWorkers bounds every worker count, auto or explicit.
	MaxWorkers   int
	WorkerMemory int64 // bytes; divides the cgroup memory limit in auto sizing
	MinReady     int   // 0: all workers
	Ready        supervisor.ReadyMode
	ReadyDelay   time.Duration
	ReadyTimeout time.Duration
	StopTimeout  time.Duration
	Backoff      supervisor.Backoff
	LogLevel     slog.Level
	Command      []string
	Version      bool   // --version: print it and exit
	Bus          string // --bus: dbusapi.BusMode*, where the control plane is served

	// WorkerLogs is where the workers' stdout and stderr go (--worker-logs).
	WorkerLogs workerlog.Mode

	// Distribution is how connections reach the workers: one shared socket,
	// or one SO_REUSEPORT socket per slot (TCP sockets only).
	Distribution distribute.Mode

	// NodePreload is whether node workers get poold's Node.js preload in
	// NODE_OPTIONS (docs/nodejs.md).
	NodePreload nodejs.Mode
	// NodeDrain is whether the preload drains a node worker on SIGTERM
	// (--node-drain on, the default).
	NodeDrain bool

	// Health says when ready workers are recycled (supervisor.Health).
	Health supervisor.Health

	// WorkerCgroups is --worker-cgroups: whether each worker gets a cgroup
	// of its own below poold's (docs/systemd.md).
	WorkerCgroups cgroup.Mode
	// WorkerMemoryMax is --worker-memory-max, each worker's memory.max in
	// bytes, 0 for none; it needs per-worker cgroups with the memory
	// controller, which only poold at start can tell.
	WorkerMemoryMax int64

	// MetricsListen is where GET /metrics is served (--metrics-listen);
	// Network "" for nowhere, the default.
	MetricsListen activation.ListenSpec

	// WorkerConfig is a JSON file sent to the workers on their stream
	// channels, read at start and at every reload; empty for none.
	WorkerConfig string

	// RuntimeDir is --runtime-dir, the base of poold's runtime directory;
	// empty for the default (rundir.Base).
	RuntimeDir string

	// MaxUnavailable is how many workers a reload may stop at once, each
	// before its replacement starts; 0 starts each new worker beside the old
	// one. Below the worker count.
	MaxUnavailable int
}

// WorkerCount is --workers: a number, or Auto to size from the cgroup.
type WorkerCount struct {
	Auto  bool
	N     int
	From  string // where the value came from: "--workers", "POOLD_WORKERS", "WEB_CONCURRENCY" or "default"
	Input string // as written, for errors
}

// Defaults, also shown in --help.
const (
	DefaultMaxWorkers   = 64
	DefaultReadyTimeout = 60 * time.Second
	DefaultReadyDelay   = time.Second
	DefaultStopTimeout  = 30 * time.Second
	DefaultBackoffMin   = 100 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultStableAfter  = 10 * time.Second
	// DefaultBreachFor is how long memory or event-loop delay must stay
	// above its limit before a worker is recycled.
	DefaultBreachFor = 30 * time.Second
)

// SupervisorOptions maps the configuration onto the supervisor's options for
// a resolved worker count. MaxUnavailable is capped at workers-1: an
// explicit count was checked by Parse, an auto count may come out lower.
func (c Config) SupervisorOptions(workers int) supervisor.Options {
	return supervisor.Options{
		Name:         c.Name,
		Workers:      workers,
		MaxWorkers:   c.MaxWorkers,
		MinReady:     c.MinReady,
		Ready:        c.Ready,
		ReadyDelay:   c.ReadyDelay,
		ReadyTimeout: c.ReadyTimeout,
		StopTimeout:  c.StopTimeout,
		Backoff:      c.Backoff,
		Health:       c.Health,

		MaxUnavailable: max(0, min(c.MaxUnavailable, workers-1)),
	}
}
