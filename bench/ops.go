package bench

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"
)

// op runs load l on c for d and, a quarter into it, reloads
// c, scales it down by one worker (kind scale-down) or SIGKILLs its first
// worker. Failed requests are what wrk counted over the whole run; Seconds
// is, for a kill, the time until a new connection was first answered by a
// worker that was not there before (probed every 10 ms), for a reload, the
// time until every worker was a new one, and for a scale-down, the time
// until the worker stopped has exited.
func (r *Runner) op(ctx context.Context, c Contender, kind string, l Load, rep int, d time.Duration) (Op, error) {
	op := Op{Contender: c.Name, Kind: kind, Load: l.Name, Rep: rep, Seconds: -1}
	in, addr, err := r.start(ctx, c, kind != "kill")
	if err != nil {
		return op, err
	}
	defer in.Stop()
	if kind == "reload" && !in.CanReload() {
		return op, fmt.Errorf("%s: no rolling reload", c.Name)
	}
	if kind == "scale-down" && (!in.CanScale() || len(in.Workers()) < 2) {
		return op, fmt.Errorf("%s: cannot scale down from %d workers", c.Name, len(in.Workers()))
	}
	if err := r.warmup(ctx, addr); err != nil {
		return op, fmt.Errorf("%s: warm-up: %w", c.Name, err)
	}
	r.quiet(ctx)
	type result struct {
		w                Wrk
		err              error
		cpu, busy, steal float64 // when wrk is done
	}
	cpu0 := treeCPU(in.SupPID)
	busy0, steal0 := systemCPU()
	wrkDone := make(chan result, 1)
	loadStart := time.Now()
	go func() {
		w, err := r.wrk(ctx, l, addr, d)
		busy, steal := systemCPU()
		wrkDone <- result{w, err, treeCPU(in.SupPID), busy, steal}
	}()
	time.Sleep(d / 4)
	old := in.Workers()
	op.Before = len(old)
	start := time.Now()
	op.At = start.Sub(loadStart).Seconds()
	var res result
	got := false
	switch kind {
	case "kill":
		if err := syscall.Kill(old[0], syscall.SIGKILL); err != nil {
			return op, fmt.Errorf("%s: kill %d: %w", c.Name, old[0], err)
		}
		// Probe until a new worker answers or the load is over.
		for !got {
			if pid, err := getPID(ctx, addr); err == nil && !slices.Contains(old, pid) {
				op.Seconds = time.Since(start).Seconds()
				break
			}
			select {
			case res = <-wrkDone:
				got = true
			case <-time.After(10 * time.Millisecond):
			}
		}
	case "reload":
		if err := in.Reload(ctx); err != nil {
			op.Err = err.Error()
			break
		}
		deadline := start.Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			now := in.Workers()
			if len(now) == len(old) && !overlaps(now, old) {
				op.Seconds = time.Since(start).Seconds()
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "scale-down":
		target := len(old) - 1
		if err := in.Scale(ctx, target); err != nil {
			op.Err = err.Error()
			break
		}
		deadline := start.Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			if len(in.Workers()) == target {
				op.Seconds = time.Since(start).Seconds()
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	default:
		return op, fmt.Errorf("unknown operation %q", kind)
	}
	if !got {
		res = <-wrkDone
	}
	op.ServerCPU, op.SysBusy, op.SysSteal = res.cpu-cpu0, res.busy-busy0, res.steal-steal0
	op.After = len(in.Workers())
	if res.err != nil {
		return op, fmt.Errorf("%s %s: %w", c.Name, kind, res.err)
	}
	op.Wrk = res.w
	r.logf("rep %d %-14s %-10s %-9s %8.0f req/s  failed %d (connect %d read %d write %d timeout %d non-2xx %d)  %.2fs at %.2fs of %.2fs  workers %d->%d  other %.0f %% %s",
		rep, c.Name, kind, l.Name, op.Wrk.RPS, op.Wrk.Failed(), op.Wrk.Connect, op.Wrk.Read, op.Wrk.Write,
		op.Wrk.Timeout, op.Wrk.Non2xx, op.Seconds, op.At, op.Wrk.Seconds, op.Before, op.After, op.OtherCPU(), op.Err)
	return op, nil
}

// opRedone runs op, and redoes it, up to maxAttempts times in all, while
// its reload or scale-down ends after the load (see Op.Outlasted): such a
// run does not measure what the operation does to a loaded pool. The runs
// redone are kept in Res.OpsDiscarded.
func (r *Runner) opRedone(ctx context.Context, c Contender, kind string, l Load, rep int, d time.Duration) (Op, error) {
	for attempt := 1; ; attempt++ {
		op, err := r.op(ctx, c, kind, l, rep, d)
		if err != nil {
			return op, err
		}
		op.Attempt = attempt
		if !op.Outlasted() || attempt == maxAttempts {
			return op, nil
		}
		r.logf("rep %d %s %s %s: the %s ended after the load: run discarded, redoing it", rep, c.Name, kind, l.Name, kind)
		r.Res.OpsDiscarded = append(r.Res.OpsDiscarded, op)
	}
}

func overlaps(a, b []int) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// idle starts poold in the recommended mode with Cfg.IdleWorkers workers,
// without and (but in a quick run) with its private bus, and measures its
// memory after a few seconds of rest.
func (r *Runner) idle(ctx context.Context) error {
	if r.Cfg.IdleWorkers <= 0 {
		return nil
	}
	c, ok := r.find("poold-" + r.Cfg.Recommended)
	if !ok {
		return fmt.Errorf("no contender poold-%s", r.Cfg.Recommended)
	}
	saved := r.Env.Workers
	r.Env.Workers = r.Cfg.IdleWorkers
	defer func() { r.Env.Workers = saved }()
	buses := []bool{false, true}
	if r.Res.Quick {
		buses = buses[:1]
	}
	for _, bus := range buses {
		in, _, err := r.start(ctx, c, bus)
		if err != nil {
			return err
		}
		cpu0 := cpuSeconds(in.SupPID)
		time.Sleep(3 * time.Second)
		idle := Idle{Contender: c.Name, Bus: "none", Workers: r.Cfg.IdleWorkers,
			SupRSS: rssKiB(in.SupPID), SupCPU: cpuSeconds(in.SupPID) - cpu0,
			SupAnon: statusKiB(in.SupPID, "RssAnon"), SupFile: statusKiB(in.SupPID, "RssFile")}
		if bus {
			idle.Bus = "auto (private dbus-daemon)"
		}
		for _, p := range in.Workers() {
			idle.WorkerRSS = append(idle.WorkerRSS, rssKiB(p))
		}
		in.Stop()
		r.logf("idle %s, %d workers, bus %s: poold RSS %d KiB, workers %v KiB",
			c.Name, idle.Workers, idle.Bus, idle.SupRSS, idle.WorkerRSS)
		r.Res.Idle = append(r.Res.Idle, idle)
	}
	return nil
}
