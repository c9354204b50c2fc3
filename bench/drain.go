package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/poold/poold/internal/plural"
)

// The drain experiment: does an unmodified Node.js app (UnmodifiedApp: no
// SIGTERM handler of its own) lose requests when poold stops its workers
// under keep-alive load, with the preload's drain on SIGTERM (poold's
// default) and without it (--node-drain off)? Each repetition makes, on
// poold in the recommended mode with Env.Workers workers, a rolling reload
// (poolctl reload) and a scale-down by one worker (poolctl scale), each with
// the drain on and off, the two alternating which goes first, under the
// keep-alive load, which wrk does not retry when a reused connection fails,
// as autocannon does not.

// DrainKinds are the operations of the drain experiment, in report order.
var DrainKinds = []string{"reload", "scale-down"}

// DrainLoad is the drain experiment's load: keep-alive.
const DrainLoad = "keepalive"

// drainExperiment runs the drain experiment, Cfg.DrainReps times, into
// Res.Drain. When bin/poold has no --node-drain (yet), it runs the drain-on
// half only and says so in Res.DrainNote.
func (r *Runner) drainExperiment(ctx context.Context) error {
	if r.Cfg.DrainReps <= 0 {
		return nil
	}
	if r.Cfg.DrainDuration <= 0 {
		r.Cfg.DrainDuration = r.Cfg.OpsDuration
		r.Res.Config.DrainDuration = r.Cfg.DrainDuration
	}
	if r.Env.Workers < 2 {
		r.Res.DrainNote = fmt.Sprintf("not run: a scale-down needs 2 workers or more, the pool has %d", r.Env.Workers)
		r.logf("drain experiment %s", r.Res.DrainNote)
		return nil
	}
	var load Load
	for _, l := range r.Cfg.Loads {
		if l.Name == DrainLoad {
			load = l
		}
	}
	if load.Name == "" {
		return fmt.Errorf("drain experiment: no %s load", DrainLoad)
	}
	mode := r.Cfg.Recommended
	r.Cfg.DrainMode, r.Res.Config.DrainMode = mode, mode
	r.Res.ServerJSHandlesTerm = handlesTerm(filepath.Join(r.Env.express(), "server.js"))
	settings := []bool{true, false}
	if ok, why := HasNodeDrain(r.Env.Root); !ok {
		settings = settings[:1]
		r.Res.DrainNote = "drain off not measured: " + why
		r.logf("drain experiment: %s", r.Res.DrainNote)
	}
	for _, on := range settings {
		c := Unmodified(mode, on)
		r.Cfg.Labels[c.Name] = c.Label
	}
	for rep := 1; rep <= r.Cfg.DrainReps; rep++ {
		for k, kind := range DrainKinds {
			for i := range settings {
				// Alternate which setting goes first, so that a drift of
				// the machine does not always favour the same one.
				on := settings[(i+rep+k)%len(settings)]
				op, err := r.opRedone(ctx, Unmodified(mode, on), kind, load, rep, secs(r.Cfg.DrainDuration))
				if err != nil {
					return fmt.Errorf("drain experiment: %w", err)
				}
				r.Res.Drain = append(r.Res.Drain, op)
			}
		}
	}
	return nil
}

var onTerm = regexp.MustCompile(`\.(on|once|addListener|prependListener)\(\s*["']SIGTERM["']`)

// handlesTerm tells whether the script at path listens for SIGTERM, by its
// text.
func handlesTerm(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && onTerm.Match(b)
}

// HasNodeDrain tells whether root's bin/poold has --node-drain, from its
// usage; if not, why not.
func HasNodeDrain(root string) (bool, string) {
	out, _ := exec.Command(filepath.Join(root, "bin", "poold"), "-h").CombinedOutput() // -h exits 2 by flag's convention
	if strings.Contains(string(out), "-node-drain") {
		return true, ""
	}
	if len(out) == 0 {
		return false, "bin/poold -h printed nothing"
	}
	return false, "this bin/poold has no --node-drain flag (its -h does not list it)"
}

// drainGroup is the drain experiment's runs of one operation with the
// drain on or off.
func drainGroup(res *Results, kind string, on bool) []Op {
	name := Unmodified(res.Config.DrainMode, on).Name
	var out []Op
	for _, o := range res.Drain {
		if o.Contender == name && o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// failedSpread sums up the failed requests of ops that ran without error.
func failedSpread(ops []Op) Spread {
	var xs []float64
	for _, o := range ops {
		if o.Err == "" {
			xs = append(xs, float64(o.Wrk.Failed()))
		}
	}
	return Summarize(xs)
}

func fmtSpread(s Spread) string {
	if s.N == 0 {
		return "-"
	}
	if s.N == 1 {
		return fmt.Sprintf("%g", s.Median)
	}
	return fmt.Sprintf("%g (%g-%g)", s.Median, s.Min, s.Max)
}

func drainSetting(on bool) string {
	if on {
		return "on (default)"
	}
	return "off (`--node-drain off`)"
}

// drainSection reports the drain experiment.
func drainSection(b *strings.Builder, res *Results) {
	if len(res.Drain) == 0 && res.DrainNote == "" {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	cfg := res.Config
	p("## An unmodified app: reload and scale-down, with and without the drain\n\n")
	if len(res.Drain) == 0 {
		p("Not run: %s.\n\n", res.DrainNote)
		return
	}
	var load Load
	for _, l := range cfg.Loads {
		if l.Name == DrainLoad {
			load = l
		}
	}
	mode := cfg.DrainMode
	p("`bench/%s` is the same Express app as above (`examples/express/app.js`), started the way [nodejs.md](nodejs.md) ", UnmodifiedApp)
	p("starts an unmodified app: `createApp().listen(process.env.PORT || 3000)`, without a SIGTERM handler")
	if res.ServerJSHandlesTerm {
		p(" (the runs above use `examples/express/server.js`, which has a SIGTERM handler of its own)")
	}
	p(". ")
	p("It ran under poold in the recommended mode, `%s`, %d workers, on poold's private bus for `poolctl`, started in `bench/` with\n\n", mode, cfg.Workers)
	p("```sh\nbin/poold --bus auto --name bench-unmodified --listen 127.0.0.1:PORT --workers %d --distribution %s -- node %s\n", cfg.Workers, mode, UnmodifiedApp)
	p("bin/poold --bus auto --name bench-unmodified-nodrain --listen 127.0.0.1:PORT --workers %d --distribution %s --node-drain off -- node %s\n```\n\n", cfg.Workers, mode, UnmodifiedApp)
	p("Either way poold's Node.js preload gives the app's `listen(3000)` the pool's socket. With the drain (poold's default) it ")
	p("drains each worker poold stops ([nodejs.md](nodejs.md#graceful-drain-on-sigterm)); with `--node-drain off` it does not, ")
	p("and SIGTERM ends the worker at once, as Node does by default.\n\n")
	p("Load: `wrk -t%d -c%d --latency http://127.0.0.1:PORT%s` for %.0f s: %d keep-alive connections, each reused request after ",
		cfg.WrkThreads, load.Conns, load.Path, drainDuration(cfg), load.Conns)
	p("request; wrk does not retry a request that fails on a reused connection, as autocannon does not. %.2f s into it, ", drainDuration(cfg)/4)
	p("`poolctl reload NAME` (every worker replaced, slot by slot, the old one stopped once the new one is ready) or ")
	p("`poolctl scale NAME %d` (%d → %d workers: poold stops the worker of the highest slot). ", cfg.Workers-1, cfg.Workers, cfg.Workers-1)
	runs := 0
	for _, kind := range DrainKinds {
		for _, on := range []bool{true, false} {
			if len(drainGroup(res, kind, on)) > 0 {
				runs++
			}
		}
	}
	p("%s of these %d runs, each on a fresh pool, warmed up with %.0f s of the load first, the drain on and off taking turns at going first; ",
		plural.Of(cfg.DrainReps, "repetition"), runs, cfg.Warmup)
	p("in the same harness run as the tables above, after them; CPU pinning: %s. ", pinShort(res))
	p("*Failed*: wrk's socket errors plus non-2xx answers over the whole run. *Time*: for a reload, until every worker is a new one; ")
	p("for a scale-down, until the stopped worker has exited.\n\n")
	if res.DrainNote != "" {
		p("**%s.**\n\n", strings.ToUpper(res.DrainNote[:1])+res.DrainNote[1:])
	}
	p("| operation | preload's drain | failed requests, median (min-max) | failed per repetition | connect/read/write/timeout/non-2xx (sum) | time median (min-max) | req/s median |\n")
	p("|---|---|---|---|---|---|---|\n")
	for _, kind := range DrainKinds {
		for _, on := range []bool{true, false} {
			ops := drainGroup(res, kind, on)
			if len(ops) == 0 {
				continue
			}
			tot := totalOps(ops, true)
			op := kind
			if kind == "scale-down" {
				op = fmt.Sprintf("scale-down %d → %d", cfg.Workers, cfg.Workers-1)
			}
			p("| %s | %s | %s | %s | %s | %s | %.0f |\n", op, drainSetting(on), fmtSpread(failedSpread(ops)),
				strings.Join(tot.failed, ", "), tot.errorsCell(), tot.timeCell("not within 2 min"), Summarize(tot.rps).Median)
		}
	}
	if s := outlastNote(res, res.Drain); s != "" {
		p("\n%s\n", s)
	}
	p("\n")
	for _, s := range drainFindings(res) {
		p("- %s\n", s)
	}
	p("\n")
}

// drainFindings says in words what the drain table shows: the failed
// requests per operation with and without the drain, what kind they were,
// how they compare with PM2's and Node cluster's reloads above, and how busy
// the machine was meanwhile.
func drainFindings(res *Results) []string {
	var out []string
	cfg := res.Config
	for _, on := range []bool{true, false} {
		var parts []string
		for _, kind := range DrainKinds {
			if s := failedSpread(drainGroup(res, kind, on)); s.N > 0 {
				parts = append(parts, fmt.Sprintf("a %s %s", kind, fmtSpread(s)))
			}
		}
		if len(parts) > 0 {
			what := "With the drain"
			if !on {
				what = "With `--node-drain off`"
			}
			out = append(out, fmt.Sprintf("**%s**, failed requests per operation, median (min-max) over %s: %s.",
				what, plural.Of(cfg.DrainReps, "repetition"), strings.Join(parts, ", ")))
		}
	}
	var off Wrk
	for _, kind := range DrainKinds {
		for _, o := range drainGroup(res, kind, false) {
			off.Connect, off.Read, off.Write = off.Connect+o.Wrk.Connect, off.Read+o.Wrk.Read, off.Write+o.Wrk.Write
			off.Timeout, off.Non2xx = off.Timeout+o.Wrk.Timeout, off.Non2xx+o.Wrk.Non2xx
		}
	}
	if n := off.Failed(); n > 0 && off.Read*2 > n {
		conns := 0
		for _, l := range cfg.Loads {
			if l.Name == DrainLoad {
				conns = l.Conns
			}
		}
		out = append(out, fmt.Sprintf("Without the drain, %d of the %d failures were read errors: connections closed under a request. "+
			"SIGTERM ends the worker at once, and the kernel closes the connections it had open; wrk has a request on its way, or about to "+
			"be, on each of its connections, and counts such a close as a failed request. wrk keeps %d connections open, over %d workers "+
			"about %d a worker.", off.Read, n, conns, cfg.Workers, conns/max(cfg.Workers, 1)))
	}
	var cmp []string
	for _, c := range []string{"pm2", "cluster-rr"} {
		var xs []Op
		for _, o := range res.Ops {
			if o.Contender == c && o.Kind == "reload" && o.Load == DrainLoad {
				xs = append(xs, o)
			}
		}
		if s := failedSpread(xs); s.N > 0 {
			cmp = append(cmp, fmt.Sprintf("%s %s", label(res, c), fmtSpread(s)))
		}
	}
	if len(cmp) > 0 {
		app := "`server.js`"
		if res.ServerJSHandlesTerm {
			app += ", with its own SIGTERM handler"
		}
		out = append(out, "For comparison, failed requests per reload in the section above, same load, "+app+": "+strings.Join(cmp, "; ")+".")
	}
	var other, steal []float64
	for _, o := range res.Drain {
		if o.SysBusy > 0 && o.Wrk.Seconds > 0 {
			other = append(other, o.OtherCPU())
			steal = append(steal, o.SysSteal/o.Wrk.Seconds*100)
		}
	}
	if s, st := Summarize(other), Summarize(steal); s.N > 0 {
		out = append(out, fmt.Sprintf("Other work during these runs (the machine's busy time outside poold, its workers and wrk): median %.0f %% of a core "+
			"(%.0f-%.0f); stolen by the hypervisor: median %.1f %% (max %.1f).", s.Median, s.Min, s.Max, st.Median, st.Max))
	}
	return out
}

// drainDuration is the length of one run of the drain experiment, seconds.
func drainDuration(cfg Config) float64 {
	if cfg.DrainDuration > 0 {
		return cfg.DrainDuration
	}
	return cfg.OpsDuration
}

// pinShort says in a few words how the servers and wrk were pinned.
func pinShort(res *Results) string {
	cfg := res.Config
	if cfg.WrkCPUs == "" && cfg.ServerCPUs == "" {
		return fmt.Sprintf("none, poold, its workers and wrk share the %d cores (see [Method](#method))", res.Machine.Cores)
	}
	return fmt.Sprintf("wrk on CPUs `%s`, the servers on `%s` (taskset -c; empty: unpinned)", cfg.WrkCPUs, cfg.ServerCPUs)
}

// plural is "1 repetition", "3 repetitions".

// drainHeadline is the drain experiment in one sentence, for the top of
// the report; "" when it has no runs.
func drainHeadline(res *Results) string {
	var parts []string
	for _, on := range []bool{true, false} {
		var kinds []string
		for _, kind := range DrainKinds {
			if s := failedSpread(drainGroup(res, kind, on)); s.N > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %s", kind, fmtSpread(s)))
			}
		}
		if len(kinds) > 0 {
			parts = append(parts, fmt.Sprintf("drain %s: %s", map[bool]string{true: "on (default)", false: "off"}[on], strings.Join(kinds, ", ")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("Failed requests of an unmodified app (no SIGTERM handler) under poold, %d workers, per rolling reload and per "+
		"scale-down by one worker under keep-alive load, median (min-max) over %s: %s ([details](#an-unmodified-app-reload-and-scale-down-with-and-without-the-drain)).",
		res.Config.Workers, plural.Of(res.Config.DrainReps, "repetition"), strings.Join(parts, "; "))
}
