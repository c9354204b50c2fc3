// Command poold-bench runs the benchmarks of docs/benchmarks.md: the
// Express example under poold (every distribution mode), Node cluster, PM2,
// a single process and a bare launcher, one after another, with wrk; their
// rolling reloads and SIGKILLs under load; reloads and scale-downs of an
// unmodified app under poold with the Node.js preload's drain on and off;
// then writes the raw results (JSON), the report (Markdown) and its chart
// (SVG).
//
//	go run ./bench/cmd/poold-bench                 # the full run (make bench)
//	go run ./bench/cmd/poold-bench -quick          # a smoke check (make bench-quick)
//	go run ./bench/cmd/poold-bench -render bench/results/latest.json
//
// It needs bin/poold and bin/poolctl (make build), wrk, node, and the npm
// packages of examples/express and bench (npm ci in each).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/poold/poold/bench"
)

func main() {
	root := flag.String("root", ".", "the repository")
	quick := flag.Bool("quick", false, "smoke check: 1 short repetition of a few contenders")
	reps := flag.Int("reps", 3, "repetitions")
	duration := flag.Duration("duration", 10*time.Second, "length of one wrk run")
	warmup := flag.Duration("warmup", time.Second, "keep-alive load after each start, not measured")
	workers := flag.Int("workers", 2, "workers of every multi-process contender")
	heavyN := flag.Int("heavy-n", 2000000, "loop length of /heavy")
	threads := flag.Int("wrk-threads", 2, "wrk threads")
	wrkCPUs := flag.String("wrk-cpus", "", "pin wrk to these CPUs (taskset -c), empty for no pinning")
	serverCPUs := flag.String("server-cpus", "", "pin the servers to these CPUs (taskset -c), empty for no pinning")
	recommended := flag.String("recommended", "auto", "poold's distribution mode for Node.js, whose goals are checked and which the operational runs use: shared, balanced, or auto (chosen from the throughput runs by a fixed rule, see bench.Recommend)")
	contenders := flag.String("contenders", "", "comma-separated contenders (default: all; -quick: a few)")
	ops := flag.String("ops", "", "operational runs CONTENDER:reload|kill|scale-down, comma-separated (default: reload and kill of poold, PM2, cluster; kill of bare)")
	pinCheck := flag.String("pin-check", "1", "also measure cluster-rr and poold with wrk pinned to these CPUs, to show what pinning does (empty: skip; -quick skips it)")
	opsLoads := flag.String("ops-loads", "keepalive,close", "loads of the operational runs")
	opsDuration := flag.Duration("ops-duration", 4*time.Second, "length of one operational run; the reload, scale-down or kill comes a quarter into it")
	drainDuration := flag.Duration("drain-duration", 8*time.Second, "length of one run of the drain experiment; the reload or scale-down comes a quarter into it (-quick: as -ops-duration)")
	drainReps := flag.Int("drain-reps", 5, "repetitions of the drain experiment: reload and scale-down of an unmodified app (bench/unmodified.js) under poold, keep-alive load, the preload's drain on and off (0: skip; -quick: 1)")
	quietPct := flag.Float64("quiet", 10, "wait before a run until the machine uses less than this % of a core, and redo runs during which other work used more (0: never)")
	idle := flag.Int("idle-workers", 8, "workers of the idle poold whose memory is measured (0: skip)")
	port := flag.Int("port", 21000, "first port; each start takes the next one (keep them out of the ephemeral range, where wrk's own connections would take them)")
	jsonOut := flag.String("json", "bench/results/latest.json", "raw results")
	mdOut := flag.String("md", "docs/benchmarks.md", "report")
	svgOut := flag.String("svg", "docs/benchmarks.svg", "chart, linked from the report by its base name")
	render := flag.String("render", "", "only render the report and chart from this results file")
	flag.Parse()

	if *render != "" {
		res, err := bench.LoadResults(*render)
		check(err)
		check(write(res, *mdOut, *svgOut))
		return
	}
	switch *recommended {
	case "auto", "shared", "balanced", "sticky":
	default:
		check(fmt.Errorf("-recommended %q: want auto, shared, balanced or sticky", *recommended))
	}
	names := strings.Split(*contenders, ",")
	opList := strings.Split(*ops, ",")
	if *quick {
		*reps, *duration, *warmup, *pinCheck, *opsDuration = 1, 2*time.Second, time.Second, "", 3*time.Second
		if !flagSet("drain-reps") {
			*drainReps = 1
		}
		if !flagSet("drain-duration") {
			*drainDuration = *opsDuration
		}
		if *recommended == "auto" {
			*recommended = "balanced"
		}
		if *contenders == "" {
			*contenders = "cluster-rr,pm2,poold-" + *recommended
		}
		if *ops == "" {
			*ops = "poold-" + *recommended + ":reload"
		}
		names, opList = strings.Split(*contenders, ","), strings.Split(*ops, ",")
	}
	if *contenders == "" {
		names = nil
		for _, c := range bench.Contenders() {
			names = append(names, c.Name)
		}
	}
	if *ops == "" && !*quick {
		rec := bench.RecommendedPoold
		opList = []string{rec + ":reload", "pm2:reload", "cluster-rr:reload",
			rec + ":kill", "pm2:kill", "cluster-rr:kill", "bare:kill"}
	}

	abs, err := filepath.Abs(*root)
	check(err)
	for _, prog := range []string{"wrk", "node", "taskset"} {
		if _, err := exec.LookPath(prog); err != nil {
			check(fmt.Errorf("%s not found: apt-get install wrk nodejs util-linux", prog))
		}
	}
	for _, f := range []string{"bin/poold", "bin/poolctl", "examples/express/node_modules/express", "bench/node_modules/pm2"} {
		if _, err := os.Stat(filepath.Join(abs, f)); err != nil {
			check(fmt.Errorf("%v: run make build, npm ci --prefix examples/express and npm ci --prefix bench (make bench does)", err))
		}
	}
	tmp, err := os.MkdirTemp("", "poold-bench-")
	check(err)
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
	bare := filepath.Join(tmp, "bare-launcher")
	build := exec.Command("go", "build", "-o", bare, "./bench/cmd/bare-launcher")
	build.Dir, build.Stdout, build.Stderr = abs, os.Stderr, os.Stderr
	check(build.Run())

	cfg := bench.Config{
		Workers: *workers, Reps: *reps, Duration: duration.Seconds(), Warmup: warmup.Seconds(),
		WrkThreads: *threads, HeavyN: *heavyN, WrkCPUs: *wrkCPUs, ServerCPUs: *serverCPUs,
		Recommended: *recommended, IdleWorkers: *idle, PinCheck: *pinCheck, QuietPct: *quietPct, Labels: map[string]string{},
		Loads: bench.Loads(*heavyN), OpsDuration: opsDuration.Seconds(), DrainReps: *drainReps, DrainDuration: drainDuration.Seconds(),
	}
	for _, name := range strings.Split(*opsLoads, ",") {
		i := slices.IndexFunc(cfg.Loads, func(l bench.Load) bool { return l.Name == strings.TrimSpace(name) })
		if i < 0 {
			check(fmt.Errorf("unknown load %q: want keepalive, close or heavy", name))
		}
		cfg.OpsLoads = append(cfg.OpsLoads, cfg.Loads[i])
	}
	r := &bench.Runner{
		Env:  &bench.Env{Root: abs, Bare: bare, Tmp: tmp, Workers: *workers, ServerCPUs: *serverCPUs, Log: logf},
		Cfg:  cfg,
		Port: *port,
		Res:  &bench.Results{Started: time.Now().UTC(), Quick: *quick, Machine: bench.Describe(abs)},
	}
	all := bench.Contenders()
	for _, n := range names {
		c, ok := find(all, strings.TrimSpace(n))
		if !ok {
			check(fmt.Errorf("unknown contender %q", n))
		}
		r.Contenders = append(r.Contenders, c)
		r.Cfg.Contenders = append(r.Cfg.Contenders, c.Name)
	}
	for _, c := range all {
		r.Cfg.Labels[c.Name] = c.Label
	}
	for _, o := range opList {
		if o = strings.TrimSpace(o); o == "" || o == "none" {
			continue
		}
		name, kind, ok := strings.Cut(o, ":")
		if _, found := find(all, name); (!found && name != bench.RecommendedPoold) || !ok || (kind != "reload" && kind != "kill" && kind != "scale-down") {
			check(fmt.Errorf("bad operational run %q: want CONTENDER:reload, CONTENDER:kill or CONTENDER:scale-down", o))
		}
		r.Ops = append(r.Ops, bench.OpPlan{Contender: name, Kind: kind})
	}
	r.Res.Config = r.Cfg

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf("logs in %s", tmp)
	runErr := r.Run(ctx)
	r.Res.Finished = time.Now().UTC()
	r.Res.Config = r.Cfg
	if runErr != nil {
		partial := *jsonOut + ".partial"
		_ = r.Res.Save(partial)
		check(fmt.Errorf("%v (partial results in %s, logs in %s)", runErr, partial, tmp))
	}
	check(r.Res.Save(*jsonOut))
	check(write(r.Res, *mdOut, *svgOut))
	_ = os.RemoveAll(tmp)
	fmt.Print(bench.Summary(r.Res))
	logf("wrote %s, %s, %s", *jsonOut, *mdOut, *svgOut)
}

// flagSet tells whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func find(cs []bench.Contender, name string) (bench.Contender, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return bench.Contender{}, false
}

func write(res *bench.Results, md, svg string) error {
	for _, p := range []string{md, svg} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(svg, []byte(bench.Chart(res)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(md, []byte(bench.Markdown(res, filepath.Base(svg))), 0o644)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "poold-bench:", err)
		os.Exit(1)
	}
}
