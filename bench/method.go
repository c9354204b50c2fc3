package bench

import (
	"fmt"
	"strings"
)

func pinSection(b *strings.Builder, res *Results) {
	if len(res.Pin) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## CPU pinning\n\nMeasured in the same run, to choose it: one %.0f s run each, the load generator unpinned or pinned with `taskset`, the servers unpinned. "+
		"Compare each row's two columns with the min-max spread of the repetitions above: a difference inside it is noise. "+
		"The runs above use the pinning given under [Method](#method).\n\n", res.Config.Duration/2)
	p("| contender | load | wrk unpinned | wrk on CPU %s |\n|---|---|---|---|\n", res.Config.PinCheck)
	type key struct{ c, l string }
	var order []key
	vals := map[key][2]float64{}
	for _, r := range res.Pin {
		k := key{r.Contender, r.Load}
		v, seen := vals[k]
		if !seen {
			order = append(order, k)
		}
		if r.WrkCPUs == "" {
			v[0] = r.Wrk.RPS
		} else {
			v[1] = r.Wrk.RPS
		}
		vals[k] = v
	}
	for _, k := range order {
		v := vals[k]
		p("| %s | %s | %.0f | %.0f |\n", label(res, k.c), loadLabel(res, k.l), v[0], v[1])
	}
	p("\n")
}

func machineSection(b *strings.Builder, res *Results) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	m, cfg := res.Machine, res.Config
	p("## Machine\n\n| | |\n|---|---|\n")
	for _, kv := range [][2]string{{"CPU", fmt.Sprintf("%s, %d cores", m.CPU, m.Cores)}, {"OS", m.OS}, {"kernel", m.Kernel},
		{"Node.js", m.Node}, {"Express", m.Express}, {"PM2", m.PM2}, {"wrk", m.Wrk}, {"Go", m.Go}, {"poold", m.Poold},
		{"NODE_OPTIONS of poold's workers", "`" + m.PooldNodeOptions + "`"}} {
		p("| %s | %s |\n", kv[0], kv[1])
	}
	var other, steal []float64
	for _, r := range res.Runs {
		if r.Wrk.Seconds > 0 && r.SysBusy > 0 {
			other = append(other, r.OtherCPU())
			steal = append(steal, r.SysSteal/r.Wrk.Seconds*100)
		}
	}
	if o, st := Summarize(other), Summarize(steal); o.N > 0 {
		p("| CPU outside the servers and wrk, during the runs | median %.0f %% of a core (%.0f-%.0f): the kernel's loopback networking (softirq) and whatever else ran |\n", o.Median, o.Min, o.Max)
		p("| CPU stolen by the hypervisor, during the runs | median %.1f %% of a core (max %.1f) |\n", st.Median, st.Max)
	}
	if q := res.Config.QuietPct; q > 0 {
		kept := 0
		for _, r := range res.Runs {
			if r.OtherCPU() > q {
				kept++
			}
		}
		p("| other work | the harness waited %.0f s in all for a quiet machine (under %.0f %% of a core busy) before runs, and redid %d runs during which other work used more; %d runs kept although it did (after %d attempts) |\n",
			res.Waited, q, len(res.Discarded), kept, maxAttempts)
	}
	p("| duration | %s to %s UTC |\n\n", res.Started.Format("2006-01-02 15:04"), res.Finished.Format("15:04"))

	p("## Method\n\n")
	p("- **Contenders**, each started by the harness, waited for (all %d workers up and `GET /` answered), "+
		"warmed up with %.0f s of keep-alive load, measured under each load, then stopped; one after another, "+
		"the order rotating from one repetition to the next:\n", cfg.Workers, cfg.Warmup)
	for _, c := range cfg.Contenders {
		p("  - %s: %s\n", label(res, c), howStarted(c, cfg.Workers))
	}
	pin := "none: the servers and wrk share both cores. With 2 cores there is none to spare for the load generator, and pinning wrk to one core " +
		"makes the two workers unequal (one shares its core with wrk, the other has one to itself), which favours whichever distribution adapts " +
		"to a worker's speed; the [pinning check](#cpu-pinning) shows what it would change"
	if cfg.WrkCPUs != "" || cfg.ServerCPUs != "" {
		pin = fmt.Sprintf("wrk on CPUs `%s`, servers on `%s` (taskset -c; empty: unpinned)", cfg.WrkCPUs, cfg.ServerCPUs)
	}
	p("- **CPU pinning**: %s.\n", pin)
	p("- **Loads**: wrk, %d threads, %.0f s per run, %d repetitions; medians and min-max over the repetitions; p99 from `--latency`. "+
		"*Failed* sums wrk's socket errors and non-2xx answers.\n", cfg.WrkThreads, cfg.Duration, cfg.Reps)
	p("- **Per-worker share**: from each worker's CPU time (utime+stime in `/proc/PID/stat`) during the run, not from counting responses: " +
		"counting pids in wrk's Lua `response()` hook would load wrk, which shares the cores with the servers. The workers serve identical " +
		"requests, so their CPU split is their request split; the table shows the most uneven repetition and its busiest/idlest ratio.\n")
	p("- **Supervisor**: the poold process, the cluster primary, the PM2 God daemon, the bare launcher (none for the single process): " +
		"its CPU time during the run as %% of one core, its VmRSS at the end. *CPU µs/req*: workers' and supervisor's CPU per request. " +
		"*Worker RSS*: median over the workers.\n")
	p("- **PM2**: installed by `npm ci` in `bench/` (pinned in `bench/package-lock.json`), `PM2_HOME` in a temporary directory, " +
		"the app declared with `exec_mode: cluster`, `PM2_KILL_SIGNAL=SIGTERM` (the app stops gracefully on SIGTERM; PM2's default is SIGINT); `pm2 kill` after.\n\n")

	took := "about 20 minutes"
	if d := res.Finished.Sub(res.Started); !res.Quick && d > 0 {
		took = fmt.Sprintf("this run took %.0f minutes", d.Minutes())
	}
	p("## Reproduce\n\n```sh\nmake bench          # this page, docs/%s and bench/results/latest.json (%s)\n", "benchmarks.svg", took)
	p("make bench-quick    # a smoke check of a minute or two; writes to $TMPDIR/poold-bench-quick\n")
	p("go run ./bench/cmd/poold-bench -h                                      # flags: workers, repetitions, pinning, contenders, drain experiment\n")
	p("go run ./bench/cmd/poold-bench -render bench/results/latest.json       # this page again from the raw results\n```\n\n")
	p("Nothing else should run on the machine meanwhile; the CPU outside the servers and wrk (under Machine) tells whether something did.\n")
}

func howStarted(name string, workers int) string {
	switch name {
	case "single":
		return "`PORT=… node server.js`"
	case "cluster-rr":
		return fmt.Sprintf("`WORKERS=%d node bench/cluster.js` (the guide's primary; default round-robin: the primary accepts and passes each connection)", workers)
	case "cluster-none":
		return "the same with `NODE_CLUSTER_SCHED_POLICY=none` (the workers accept on a shared handle)"
	case "pm2":
		return fmt.Sprintf("`pm2 start` of server.js, %d instances, cluster mode", workers)
	case "bare":
		return fmt.Sprintf("`bench/cmd/bare-launcher`: binds the socket, starts %d `node server.js` with it as fd 3 and `LISTEN_FDS=1`, nothing else", workers)
	}
	if mode, ok := strings.CutPrefix(name, "poold-"); ok {
		return fmt.Sprintf("`bin/poold --bus none --distribution %s --listen 127.0.0.1:PORT --workers %d -- node server.js`", mode, workers)
	}
	return name
}
