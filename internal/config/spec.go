package config

import (
	"slices"
	"time"

	"github.com/poold/poold/internal/mode"
)

// WorkerSpec is what a worker is made from: its command, the environment
// it starts from and the settings that shape each process. A reload will
// build a new one from a configuration read again and roll it out as a new
// generation, so building one has no side effects: no file is read or
// made, no socket bound, nothing logged.
type WorkerSpec struct {
	Command []string // the program and its arguments
	// Env is the environment workers start from, KEY=VALUE: poold's own
	// with the --env-file variables (NAME.env) over it. The spawner adds
	// the pool's variables and drops poold's own protocol ones.
	Env []string
	Dir string // the working directory: poold's
	UID int    // the user and group workers run as: poold's
	GID int

	NodePreload mode.NodePreload // the preload in NODE_OPTIONS of node workers
	NodeDrain   bool             // the preload drains a node worker on SIGTERM
	Watchdog    time.Duration    // WATCHDOG_USEC; 0 for none
	StopTimeout time.Duration    // from SIGTERM to SIGKILL
	MemoryHigh  int64            // each worker cgroup's memory.high (--recycle-memory); 0 for none
	MemoryMax   int64            // its memory.max (--worker-memory-max); 0 for none
	// WorkerConfig is the JSON file sent on the workers' channels; "" for none.
	WorkerConfig string
}

// Process is what a worker spec takes from poold's own process, read by
// the caller so that building the spec reads nothing.
type Process struct {
	Environ []string // os.Environ()
	Dir     string   // os.Getwd()
	UID     int
	GID     int
}

// WorkerSpec builds the spec of the workers this configuration starts in
// process p. It shares no slice with c or p.
func (c Config) WorkerSpec(p Process) WorkerSpec {
	return WorkerSpec{
		Command:      slices.Clone(c.Command),
		Env:          MergeEnv(p.Environ, c.Env),
		Dir:          p.Dir,
		UID:          p.UID,
		GID:          p.GID,
		NodePreload:  c.NodePreload,
		NodeDrain:    c.NodeDrain,
		Watchdog:     c.Health.Watchdog,
		StopTimeout:  c.StopTimeout,
		MemoryHigh:   int64(c.Health.Memory),
		MemoryMax:    c.WorkerMemoryMax,
		WorkerConfig: c.WorkerConfig,
	}
}
