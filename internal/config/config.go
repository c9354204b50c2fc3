package config

import (
	"log/slog"
	"time"

	"github.com/poold/poold/internal/listenspec"
	"github.com/poold/poold/internal/mode"
)

// Config is poold's whole configuration.
type Config struct {
	Name    string // pool name: --name, else derived (see DeriveName)
	Listen  []listenspec.Spec
	Workers WorkerCount
	// MaxWorkers bounds every worker count, auto or explicit.
	MaxWorkers   int
	WorkerMemory int64 // bytes; divides the cgroup memory limit in auto sizing
	MinReady     int   // 0: all workers
	Ready        mode.Ready
	ReadyDelay   time.Duration
	ReadyTimeout time.Duration
	StopTimeout  time.Duration
	Backoff      Backoff
	LogLevel     slog.Level
	Command      []string
	Version      bool   // --version: print it and exit
	Bus          string // --bus: mode.Bus*, where the control plane is served

	// WorkerLogs is where the workers' stdout and stderr go (--worker-logs).
	WorkerLogs mode.WorkerLogs

	// Distribution is how connections reach the workers: one shared socket,
	// or one SO_REUSEPORT socket per slot (TCP sockets only).
	Distribution mode.Distribution

	// NodePreload is whether node workers get poold's Node.js preload in
	// NODE_OPTIONS (docs/nodejs.md).
	NodePreload mode.NodePreload
	// NodeDrain is whether the preload drains a node worker on SIGTERM
	// (--node-drain on, the default).
	NodeDrain bool

	// Health says when ready workers are recycled.
	Health Health

	// WorkerCgroups is --worker-cgroups: whether each worker gets a cgroup
	// of its own below poold's (docs/systemd.md).
	WorkerCgroups mode.Cgroups
	// WorkerMemoryMax is --worker-memory-max, each worker's memory.max in
	// bytes, 0 for none; it needs per-worker cgroups with the memory
	// controller, which only poold at start can tell.
	WorkerMemoryMax int64

	// MetricsListen is where GET /metrics is served (--metrics-listen);
	// Network "" for nowhere, the default.
	MetricsListen listenspec.Spec

	// EnvFiles are the --env-file files, and Env their variables, read
	// with the configuration (a later file winning): the workers get them
	// on top of poold's own environment.
	EnvFiles []EnvFile
	Env      []string

	// WorkerConfig is a JSON file sent to the workers on their stream
	// channels, read at start and at every reload; empty for none.
	WorkerConfig string

	// RuntimeDir is --runtime-dir, the base of poold's runtime directory;
	// empty for the default (rundir.Base).
	RuntimeDir string

	// UpgradeOnInstall is --upgrade-on-install: whether a package upgrade
	// of poold upgrades this pool in place (poolctl upgrade --all
	// --on-install, run by the package scripts). poold itself only shows
	// it, on D-Bus.
	UpgradeOnInstall bool

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

// Backoff is how a crashed worker's slot is restarted: --restart-delay,
// doubling with each failure in a row up to --restart-delay-max, and reset
// once a worker stayed ready for --stable-after.
type Backoff struct {
	Initial     time.Duration
	Max         time.Duration
	StableAfter time.Duration
}

// Health says when a ready worker is recycled (the --worker-watchdog and
// --recycle-* flags); zero fields are off.
type Health struct {
	Watchdog     time.Duration
	Memory       uint64 // bytes
	MemoryFor    time.Duration
	LoopDelay    time.Duration
	LoopDelayFor time.Duration
	Requests     uint64
	Age          time.Duration
}
