package supervisor

import (
	"maps"
	"time"
)

// Counters are the pool's running totals since poold started, for metrics.
type Counters struct {
	Started int // workers started
	// Exits counts workers that ended, by cause: "crash" (not asked to stop,
	// or announced STOPPING=1 and then failed), "planned" (asked to stop, or
	// STOPPING=1 and exit 0), "failed-start" (not ready in time, or dead
	// before ready), "oom" (killed by the kernel's OOM killer).
	Exits map[string]int
	// Recycles counts workers replaced for their health, by reason
	// ("memory", "watchdog", "loop-delay", "requests", "age").
	Recycles map[string]int
	// Reloads and ReloadsFailed count finished reloads; LastReload is how
	// long the last one took, failed or not.
	Reloads, ReloadsFailed int
	LastReload             time.Duration
}

// exitCause is the Exits key for a worker that ended.
func exitCause(w *worker, planned bool, status ExitStatus) string {
	switch {
	case status.OOMKilled:
		return "oom"
	case planned:
		return "planned"
	case w.fate == failedStart || w.readySince.IsZero():
		return "failed-start"
	}
	return "crash"
}

func (c *Counters) countExit(cause string) { c.Exits = bump(c.Exits, cause) }

func (c *Counters) countRecycle(reason string) { c.Recycles = bump(c.Recycles, reason) }

func bump(m map[string]int, key string) map[string]int {
	if m == nil {
		m = make(map[string]int)
	}
	m[key]++
	return m
}

// clone copies the maps so that a snapshot does not share them with the loop.
func (c Counters) clone() Counters {
	c.Exits = maps.Clone(c.Exits)
	c.Recycles = maps.Clone(c.Recycles)
	return c
}
