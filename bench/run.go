package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Runner runs the contenders one after another and collects Results.
type Runner struct {
	Env        *Env
	Cfg        Config
	Contenders []Contender
	Ops        []OpPlan
	Port       int // first port; each start takes the next one
	Res        *Results
}

// RecommendedPoold in an OpPlan stands for poold in the recommended mode,
// known once the throughput runs are done.
const RecommendedPoold = "poold-recommended"

// OpPlan is one operational run to make per repetition.
type OpPlan struct {
	Contender string
	Kind      string // reload, scale-down or kill
}

func (r *Runner) logf(format string, args ...any) { r.Env.Log(format, args...) }

// Run measures every contender under every load, Cfg.Reps times (the order
// of the contenders rotates from one repetition to the next, so that a
// drift of the machine spreads over all of them), then the operational runs,
// the drain experiment (drain.go) and the idle pool.
func (r *Runner) Run(ctx context.Context) error {
	loads := r.Cfg.Loads
	for rep := 1; rep <= r.Cfg.Reps; rep++ {
		for i := range r.Contenders {
			c := r.Contenders[(i+rep-1)%len(r.Contenders)]
			if err := r.measure(ctx, c, loads, rep); err != nil {
				return err
			}
		}
	}
	if r.Cfg.Recommended == "auto" {
		r.Cfg.Recommended, r.Cfg.RecommendedBy = Recommend(r.Res)
		r.Res.Config.Recommended, r.Res.Config.RecommendedBy = r.Cfg.Recommended, r.Cfg.RecommendedBy
		r.logf("recommended mode for Node.js: %s (%s)", r.Cfg.Recommended, r.Cfg.RecommendedBy)
	}
	if err := r.pinCheck(ctx); err != nil {
		return err
	}
	for rep := 1; rep <= r.Cfg.Reps; rep++ {
		for _, l := range r.Cfg.OpsLoads {
			for _, p := range r.Ops {
				if p.Contender == RecommendedPoold {
					p.Contender = "poold-" + r.Cfg.Recommended
				}
				c, ok := r.find(p.Contender)
				if !ok {
					return fmt.Errorf("no contender %q", p.Contender)
				}
				op, err := r.opRedone(ctx, c, p.Kind, l, rep, secs(r.Cfg.OpsDuration))
				if err != nil {
					return err
				}
				r.Res.Ops = append(r.Res.Ops, op)
			}
		}
	}
	if err := r.drainExperiment(ctx); err != nil {
		return err
	}
	return r.idle(ctx)
}

func (r *Runner) find(name string) (Contender, bool) {
	for _, c := range Contenders() {
		if c.Name == name {
			return c, true
		}
	}
	return Contender{}, false
}

func (r *Runner) workersOf(c Contender) int {
	if c.Name == "single" {
		return 1
	}
	return r.Env.Workers
}

// start starts c on the next port and waits until it has all its workers
// and answers.
func (r *Runner) start(ctx context.Context, c Contender, bus bool) (*Instance, string, error) {
	addr := "127.0.0.1:" + strconv.Itoa(r.Port)
	r.Port++
	in, err := c.Start(r.Env, addr, bus)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", c.Name, err)
	}
	want := r.workersOf(c)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if len(in.Workers()) == want {
			if _, err := getPID(ctx, addr); err == nil {
				break
			}
		}
		if in.exited() {
			in.Stop()
			return nil, "", fmt.Errorf("%s: exited before it was ready (see %s/%s.log)", c.Name, r.Env.Tmp, in.Name)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			in.Stop()
			return nil, "", fmt.Errorf("%s: not ready on %s with %d workers after 60s (see %s/%s.log)",
				c.Name, addr, want, r.Env.Tmp, in.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if strings.HasPrefix(c.Name, "poold-") && r.Res.Machine.PooldNodeOptions == "" {
		if v, ok := environ(in.Workers()[0], "NODE_OPTIONS"); ok {
			r.Res.Machine.PooldNodeOptions = v
		} else {
			r.Res.Machine.PooldNodeOptions = "(unset)"
		}
	}
	return in, addr, nil
}

func (r *Runner) wrk(ctx context.Context, l Load, addr string, d time.Duration) (Wrk, error) {
	w, _, err := RunWrk(ctx, WrkArgs(l, addr, d, r.Cfg.WrkThreads, r.Cfg.WrkCPUs))
	return w, err
}

func (r *Runner) warmup(ctx context.Context, addr string) error {
	if r.Cfg.Warmup <= 0 {
		return nil
	}
	_, err := r.wrk(ctx, r.Cfg.Loads[0], addr, secs(r.Cfg.Warmup))
	return err
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// measure starts c, runs every load on it once, and stops it. A run during
// which other work used the machine is redone (see quiet.go).
func (r *Runner) measure(ctx context.Context, c Contender, loads []Load, rep int) error {
	in, addr, err := r.start(ctx, c, false)
	if err != nil {
		return err
	}
	defer in.Stop()
	if err := r.warmup(ctx, addr); err != nil {
		return fmt.Errorf("%s: warm-up: %w", c.Name, err)
	}
	for _, l := range loads {
		var run Run
		for attempt := 1; ; attempt++ {
			r.quiet(ctx)
			if run, err = r.measureOnce(ctx, in, addr, c, l, rep); err != nil {
				return err
			}
			run.Attempt = attempt
			other := run.OtherCPU()
			if r.Cfg.QuietPct <= 0 || other <= r.Cfg.QuietPct || attempt == maxAttempts {
				break
			}
			r.logf("rep %d %s %s: other work used %.0f %% of a core meanwhile: run discarded, redoing it", rep, c.Name, l.Name, other)
			r.Res.Discarded = append(r.Res.Discarded, run)
		}
		r.Res.Runs = append(r.Res.Runs, run)
	}
	return nil
}

// maxAttempts bounds the runs of one contender and load in one repetition.
const maxAttempts = 3

func (r *Runner) measureOnce(ctx context.Context, in *Instance, addr string, c Contender, l Load, rep int) (Run, error) {
	pids := in.Workers()
	before := make([]float64, len(pids))
	for i, p := range pids {
		before[i] = cpuSeconds(p)
	}
	sup0 := cpuSeconds(in.SupPID)
	run := Run{Contender: c.Name, Load: l.Name, Rep: rep, LoadAvg: loadAvg()}
	busy0, steal0 := systemCPU()
	var err error
	run.Wrk, err = r.wrk(ctx, l, addr, secs(r.Cfg.Duration))
	if err != nil {
		return run, fmt.Errorf("%s: %w", c.Name, err)
	}
	busy1, steal1 := systemCPU()
	run.SysBusy, run.SysSteal = busy1-busy0, steal1-steal0
	for i, p := range pids {
		run.WorkerCPU = append(run.WorkerCPU, cpuSeconds(p)-before[i])
		run.WorkerRSS = append(run.WorkerRSS, rssKiB(p))
	}
	if in.SupPID != 0 {
		run.SupCPU, run.SupRSS = cpuSeconds(in.SupPID)-sup0, rssKiB(in.SupPID)
	}
	r.logf("rep %d %-14s %-9s %8.0f req/s  p99 %7.2f ms  failed %d  workers cpu %s  sup cpu %.2fs  other %.0f %%",
		rep, c.Name, l.Name, run.Wrk.RPS, run.Wrk.Latency["99"], run.Wrk.Failed(), fmtCPU(run.WorkerCPU), run.SupCPU, run.OtherCPU())
	if !sameSet(pids, in.Workers()) {
		return run, fmt.Errorf("%s: workers changed during the %s run: %v -> %v", c.Name, l.Name, pids, in.Workers())
	}
	return run, nil
}

func fmtCPU(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.FormatFloat(x, 'f', 1, 64))
	}
	return strings.Join(s, "/")
}

func sameSet(a, b []int) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// getPID asks addr for / on a new connection and returns the pid that
// answered.
func getPID(ctx context.Context, addr string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/", nil)
	if err != nil {
		return 0, err
	}
	req.Close = true
	resp, err := probeClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct{ PID int }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		return 0, fmt.Errorf("GET /: %s %v", resp.Status, err)
	}
	return body.PID, nil
}

var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
