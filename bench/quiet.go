package bench

import (
	"context"
	"time"
)

// The benchmark shares its machine with whatever else runs there (on a
// developer's machine, other builds and tests). Before each run the harness
// waits until the machine is quiet: with the contender idle, less than
// Cfg.QuietPct of a core busy over half a second; it gives up waiting after
// quietMax for one run, or once it has waited quietBudget in all, and runs
// anyway. After each run, one during which other work used
// more than Cfg.QuietPct is discarded and redone (measure), up to
// maxAttempts times. Both are counted in the results and the report.
const (
	quietMax    = 3 * time.Minute
	quietBudget = 15 * time.Minute
)

// quiet waits for a quiet machine, as above.
func (r *Runner) quiet(ctx context.Context) {
	if r.Cfg.QuietPct <= 0 || r.Res.Waited > quietBudget.Seconds() {
		return
	}
	start := time.Now()
	logged := false
	for ctx.Err() == nil {
		b0, _ := systemCPU()
		time.Sleep(500 * time.Millisecond)
		b1, _ := systemCPU()
		busy := (b1 - b0) / 0.5 * 100
		if busy <= r.Cfg.QuietPct {
			break
		}
		if time.Since(start) > quietMax || r.Res.Waited+time.Since(start).Seconds() > quietBudget.Seconds() {
			r.logf("machine still busy (%.0f %% of a core): running anyway", busy)
			break
		}
		if !logged {
			r.logf("machine busy (%.0f %% of a core outside the benchmark): waiting for it to be quiet", busy)
			logged = true
		}
		time.Sleep(2 * time.Second)
	}
	if logged {
		r.Res.Waited += time.Since(start).Seconds()
		r.logf("quiet after %.0f s", time.Since(start).Seconds())
	}
}
