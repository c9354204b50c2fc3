package bench

import (
	"context"
	"fmt"
)

// PinRun is one run of the pinning check: the same contender and load with
// wrk unpinned (WrkCPUs "") or pinned.
type PinRun struct {
	Contender string `json:"contender"`
	Load      string `json:"load"`
	WrkCPUs   string `json:"wrk_cpus"`
	Wrk       Wrk    `json:"wrk"`
}

// pinCheck measures cluster-rr and poold in the recommended mode under the
// keep-alive and new-connection loads, with wrk unpinned and pinned to
// Cfg.PinCheck, one run of half the usual length each, so that the report
// shows what pinning does.
func (r *Runner) pinCheck(ctx context.Context) error {
	if r.Cfg.PinCheck == "" {
		return nil
	}
	for _, name := range []string{"cluster-rr", "poold-" + r.Cfg.Recommended} {
		c, ok := r.find(name)
		if !ok {
			return fmt.Errorf("no contender %q", name)
		}
		in, addr, err := r.start(ctx, c, false)
		if err != nil {
			return err
		}
		err = r.warmup(ctx, addr)
		for _, l := range r.Cfg.Loads[:2] {
			for _, cpus := range []string{"", r.Cfg.PinCheck} {
				if err != nil {
					break
				}
				var w Wrk
				r.quiet(ctx)
				w, _, err = RunWrk(ctx, WrkArgs(l, addr, secs(r.Cfg.Duration/2), r.Cfg.WrkThreads, cpus))
				r.logf("pin check %-14s %-9s wrk cpus %-3q %8.0f req/s", name, l.Name, cpus, w.RPS)
				r.Res.Pin = append(r.Res.Pin, PinRun{Contender: name, Load: l.Name, WrkCPUs: cpus, Wrk: w})
			}
		}
		in.Stop()
		if err != nil {
			return fmt.Errorf("pin check %s: %w", name, err)
		}
	}
	return nil
}
