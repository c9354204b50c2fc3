package dbusapi

import "github.com/godbus/dbus/v5"

// PoolInfo is the Manager object's properties, as poolctl reads them.
type PoolInfo struct {
	Name            string
	Version         string // poold's version
	State           string // "starting", "running", "reloading", "degraded", "crash-looping" or "stopping"
	StatusText      string // the line poold sends systemd as STATUS=
	TargetWorkers   uint32
	MaxWorkers      uint32
	ReadyWorkers    uint32
	StartingWorkers uint32
	StoppingWorkers uint32
	Generation      uint32
	WorkersReason   string // why the pool has its target count, e.g. "2 CPUs (cgroup cpu.max)"
	ReadyMode       string
	Listen          []string // the pool's sockets, as "name=address"
	Command         []string
	MainPID         uint32
	Bus             string // "system", "session" or "private"
	Distribution    string // how connections reach the workers: "shared", "balanced" or "sticky"
	// WorkerCgroups says whether each worker runs in a cgroup of its own,
	// e.g. "per worker (delegated: memory, cpu, pids)", or why not, e.g.
	// "none: cgroup v1; memory read from /proc".
	WorkerCgroups string
	// FailingSlots are the slots without a ready worker whose last worker
	// failed, sorted by slot; empty when none is.
	FailingSlots []SlotInfo
	// BinaryReplaced: the file at the path poold was started from is no
	// longer the one it runs (a package upgrade replaced it, or removed
	// it); ReplacementVersion is that file's version, "" when there is
	// none or it cannot tell. A restart runs the new one.
	BinaryReplaced     bool
	ReplacementVersion string
	// LastUpgrade is the latest in-place upgrade of poold (Upgrade,
	// SIGUSR2); its Outcome is "" when there was none since the pool
	// started.
	LastUpgrade UpgradeInfo
	// UpgradeOnInstall is the pool's upgrade-on-install setting: whether
	// a package upgrade of poold upgrades it in place
	// (poolctl upgrade --all --on-install).
	UpgradeOnInstall bool
	// Generations are the pool's live generations, oldest first: the
	// pool's, one a reload or its rollback starts, those workers still
	// run. Command above is the pool's generation's.
	Generations []GenerationInfo
}

// GenerationInfo is one live generation of the pool's workers and what
// changed from the generation it was built from, a D-Bus struct
// (uuuasasasasasasas): append new fields at the end. The environment is
// shown by its keys only, never their values. Its JSON keys are poolctl's.
type GenerationInfo struct {
	Generation uint32 `json:"generation"`
	// From is the generation it was built from, the pool's when the
	// reload began; 0 for the first.
	From    uint32   `json:"from"`
	Workers uint32   `json:"workers"` // its running workers
	Command []string `json:"command"`
	// CommandFrom and CommandTo are the command before and after, both
	// empty when it did not change.
	CommandFrom []string `json:"command_from"`
	CommandTo   []string `json:"command_to"`
	EnvAdded    []string `json:"env_added"` // keys, sorted
	EnvRemoved  []string `json:"env_removed"`
	EnvChanged  []string `json:"env_changed"`
	// Other names each other setting that changed with its values, e.g.
	// "node-drain true → false".
	Other []string `json:"other"`
}

// WithEmptyLists is g with an empty list for each nil one: D-Bus has no
// null array, and JSON readers want [].
func (g GenerationInfo) WithEmptyLists() GenerationInfo {
	for _, l := range []*[]string{&g.Command, &g.CommandFrom, &g.CommandTo, &g.EnvAdded, &g.EnvRemoved, &g.EnvChanged, &g.Other} {
		if *l == nil {
			*l = []string{}
		}
	}
	return g
}

// UpgradeInfo is one in-place upgrade of poold, a D-Bus struct (sstts):
// append new fields at the end. Its JSON keys are poolctl's.
type UpgradeInfo struct {
	From string `json:"from"` // the version that ran before
	// To is the version it started, or that it could not start.
	To           string `json:"to"`
	StartedUSec  uint64 `json:"started_usec"`  // µs since the epoch
	DurationUSec uint64 `json:"duration_usec"` // until the new poold was ready
	// Outcome is "upgraded", "fell back: REASON" (the new poold failed and
	// the old one runs on, nothing lost) or "refused: REASON".
	Outcome string `json:"outcome"`
}

// UpgradeInfo's outcomes: Upgraded, or a prefix followed by the reason.
const (
	Upgraded        = "upgraded"
	UpgradeFellBack = "fell back: "
	UpgradeRefused  = "refused: "
)

// SlotInfo is one failing slot, a D-Bus struct (ubusast): append new
// fields at the end. Its JSON keys are poolctl's.
type SlotInfo struct {
	Slot uint32 `json:"slot"`
	// CrashLooping: it failed --crash-loop-after times in a row, or twice
	// without a worker ever ready.
	CrashLooping bool   `json:"crash_looping"`
	Failures     uint32 `json:"failures"` // in a row
	// LastExit says how its last worker ended: "exit code 1 before it was
	// ready", "killed by signal 9 (killed)", "not ready after 1m0s".
	LastExit string `json:"last_exit"`
	// LastOutput is that worker's last lines on stderr (at most 8, of at
	// most 256 bytes each), when poold reads the workers' output
	// (--worker-logs other than inherit).
	LastOutput []string `json:"last_output"`
	// NextStartUSec is when its next worker starts, µs since the epoch; 0
	// while one runs.
	NextStartUSec uint64 `json:"next_start_usec"`
}

// WorkerInfo is one worker object's properties. Its field order is the D-Bus
// struct returned by ListWorkers: append new fields at the end.
type WorkerInfo struct {
	ID         uint64
	Slot       uint32
	PID        uint32
	State      string // "starting", "ready" or "stopping"
	Generation uint32
	// Times are µs since the Unix epoch, 0 for never, as systemd's *USec.
	StartedUSec       uint64
	ReadyUSec         uint64
	LastHeartbeatUSec uint64
	Restarts          uint32 // replacements in this slot so far
	StatusText        string // the worker's own STATUS=
	MemoryCurrent     uint64 // resident set size in bytes, 0 when unknown
	CPUUsageNSec      uint64 // user+system CPU time, 0 when unknown
	Path              dbus.ObjectPath
	// What the worker reported on its stream channel: 0 when it never did
	// (MetricsUSec 0) or left a figure out.
	MetricsUSec      uint64 // when it last reported
	LoopDelayP99USec uint64 // event-loop delay, 99th percentile
	LoopDelayMaxUSec uint64
	HeapUsedBytes    uint64
	HeapTotalBytes   uint64
	RequestsTotal    uint64 // handled since the worker started
	ActiveRequests   uint64
	ChannelOpen      bool   // it said hello: it gets broadcasts and the worker config
	MessagesDropped  uint64 // lines to it dropped because it did not read them
}

// Status is a pool and its workers, sorted by slot.
type Status struct {
	Pool    PoolInfo
	Workers []WorkerInfo
}
