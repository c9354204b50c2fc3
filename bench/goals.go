package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Goal is one of the goals, checked against the results.
type Goal struct {
	Goal     string
	Measured string
	Status   string // met, missed, not measured
	Notes    string
	Others   string // the same goal for poold's other modes (not sticky)
}

func status(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// x formats a ratio, with a third decimal when two would round it to 1.
func x(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	if v != 1 && math.Abs(v-1) < 0.005 {
		return fmt.Sprintf("%.3fx", v)
	}
	return fmt.Sprintf("%.2fx", v)
}

// check is one throughput goal for one poold contender: what was measured,
// whether it was met, and the numbers that say why; ok false when the runs
// are missing.
type check func(res *Results, poold string) (measured string, met bool, notes string, ok bool)

func closeCheck(other string) check {
	return func(res *Results, poold string) (string, bool, string, bool) {
		pc, ok1 := CellOf(res, poold, "close")
		oc, ok2 := CellOf(res, other, "close")
		if !ok1 || !ok2 {
			return "", false, "", false
		}
		r := Ratio(pc.RPS.Median, oc.RPS.Median)
		return fmt.Sprintf("%s (%.0f vs %.0f req/s, medians; per repetition %s)", x(r), pc.RPS.Median, oc.RPS.Median, perRep(pc, oc)),
			r >= 1.3,
			fmt.Sprintf("%s's supervisor used %.0f %% of a core, poold %.1f %%; server CPU per request %.0f µs vs %.0f µs; wrk used %.0f %% of a core",
				other, oc.SupCPU.Median, pc.SupCPU.Median, oc.CPUPerReq.Median, pc.CPUPerReq.Median, pc.WrkCPU.Median), true
	}
}

func keepAliveCheck(res *Results, poold string) (string, bool, string, bool) {
	pk, ok1 := CellOf(res, poold, "keepalive")
	ck, ok2 := CellOf(res, "cluster-rr", "keepalive")
	if !ok1 || !ok2 {
		return "", false, "", false
	}
	met := true
	for rep, v := range pk.ByRep {
		if c, ok := ck.ByRep[rep]; ok && v < c {
			met = false
		}
	}
	return fmt.Sprintf("per repetition %s (median %.0f vs %.0f req/s)", perRep(pk, ck), pk.RPS.Median, ck.RPS.Median), met,
		fmt.Sprintf("worker CPU imbalance (busiest/idlest) %s: median %.2f, worst %.2f; cluster-rr: median %.2f, worst %.2f",
			poold, pk.Imbalance.Median, pk.Imbalance.Max, ck.Imbalance.Median, ck.Imbalance.Max), true
}

func heavyCheck(res *Results, poold string) (string, bool, string, bool) {
	ph, ok1 := CellOf(res, poold, "heavy")
	sh, ok2 := CellOf(res, "single", "heavy")
	if !ok1 || !ok2 {
		return "", false, "", false
	}
	r := Ratio(ph.RPS.Median, sh.RPS.Median)
	return fmt.Sprintf("%s (%.0f vs %.0f req/s)", x(r), ph.RPS.Median, sh.RPS.Median), r >= 1.9,
		fmt.Sprintf("the servers used %.0f %% of a core (the machine has %d), wrk %.0f %%; the single process %.0f %%",
			ph.Busy.Median, res.Machine.Cores, ph.WrkCPU.Median, sh.Busy.Median), true
}

// Goals checks the goals against res, for poold in its recommended
// mode, and the throughput goals also for its other modes but sticky.
func Goals(res *Results) []Goal {
	rec := "poold-" + res.Config.Recommended
	var others []string
	for _, m := range []string{"shared", "balanced"} {
		if "poold-"+m != rec && slices.Contains(res.Config.Contenders, "poold-"+m) {
			others = append(others, "poold-"+m)
		}
	}
	var gs []Goal
	add := func(goal string, c check) {
		g := Goal{Goal: goal, Status: "not measured"}
		if m, met, notes, ok := c(res, rec); ok {
			g.Measured, g.Status, g.Notes = m, status(met), notes
		}
		var o []string
		for _, name := range others {
			if m, met, _, ok := c(res, name); ok {
				o = append(o, fmt.Sprintf("%s: %s, %s", name, m, strings.Trim(status(met), "*")))
			}
		}
		g.Others = strings.Join(o, "; ")
		gs = append(gs, g)
	}
	for _, other := range []string{"cluster-rr", "pm2"} {
		add(fmt.Sprintf("new connection per request: %s ≥ 1.3x %s", rec, other), closeCheck(other))
	}
	add(fmt.Sprintf("keep-alive: %s ≥ 1.0x cluster-rr in every repetition", rec), keepAliveCheck)
	add(fmt.Sprintf("CPU-bound: %s (%d workers) ≥ 1.9x a single process", rec, res.Config.Workers), heavyCheck)
	gs = append(gs, memoryGoal(res), cpuGoal(res))
	return append(gs, reloadGoals(res, rec)...)
}

func perRep(a, b Cell) string {
	var s []string
	for rep := 1; rep <= len(a.ByRep)+len(b.ByRep); rep++ {
		va, ok1 := a.ByRep[rep]
		vb, ok2 := b.ByRep[rep]
		if ok1 && ok2 {
			s = append(s, x(Ratio(va, vb)))
		}
	}
	return strings.Join(s, ", ")
}

func memoryGoal(res *Results) Goal {
	g := Goal{Goal: fmt.Sprintf("poold's RSS ≤ 10 MiB with %d workers", res.Config.IdleWorkers), Status: "not measured"}
	if len(res.Idle) == 0 {
		return g
	}
	var parts []string
	met := true
	for _, i := range res.Idle {
		mib := float64(i.SupRSS) / 1024
		met = met && mib <= 10
		parts = append(parts, fmt.Sprintf("%.1f MiB (bus %s)", mib, i.Bus))
	}
	i := res.Idle[0]
	g.Measured, g.Status = strings.Join(parts, "; "), status(met)
	g.Notes = fmt.Sprintf("VmRSS of the idle poold process alone (%s, %d workers): %.1f MiB heap, stacks and runtime (RssAnon), %.1f MiB of its binary and libraries mapped in (RssFile)",
		i.Contender, i.Workers, float64(i.SupAnon)/1024, float64(i.SupFile)/1024)
	return g
}

func cpuGoal(res *Results) Goal {
	g := Goal{Goal: "poold's CPU under load ≈ 0 (≤ 1 % of a core)", Status: "not measured"}
	var all []float64
	for _, r := range res.Runs {
		if strings.HasPrefix(r.Contender, "poold-") && r.Wrk.Seconds > 0 {
			all = append(all, r.SupCPU/r.Wrk.Seconds*100)
		}
	}
	if len(all) == 0 {
		return g
	}
	s := Summarize(all)
	g.Measured = fmt.Sprintf("max %.2f %%, median %.2f %% of a core over %d runs of every poold mode", s.Max, s.Median, s.N)
	g.Status = status(s.Max <= 1)
	g.Notes = "utime+stime of the poold process during each wrk run (10 ms ticks)"
	return g
}

func reloadGoals(res *Results, rec string) []Goal {
	var gs []Goal
	for _, l := range res.Config.OpsLoads {
		g := Goal{Goal: fmt.Sprintf("rolling reload under %s load: zero failed requests for poold", l.Label), Status: "not measured"}
		failed := map[string][]string{}
		var order []string
		met, any := true, false
		for _, o := range res.Ops {
			if o.Kind != "reload" || o.Load != l.Name {
				continue
			}
			if _, ok := failed[o.Contender]; !ok {
				order = append(order, o.Contender)
			}
			n := fmt.Sprint(o.Wrk.Failed())
			if o.Err != "" {
				n = "error"
			}
			failed[o.Contender] = append(failed[o.Contender], n)
			if o.Contender == rec {
				any = true
				met = met && o.Err == "" && o.Wrk.Failed() == 0
			}
		}
		if any {
			var parts []string
			for _, c := range order {
				parts = append(parts, fmt.Sprintf("%s %s", c, strings.Join(failed[c], ", ")))
			}
			g.Measured = "failed per repetition: " + strings.Join(parts, "; ")
			g.Status = status(met)
			g.Notes = "wrk socket errors plus non-2xx answers over the whole run"
			if !met && l.Name == "keepalive" {
				g.Notes += "; why: see the reload section below (the app's graceful stop)"
			}
		}
		gs = append(gs, g)
	}
	return gs
}

// Recommend picks poold's mode for Node.js from the throughput runs, by a
// rule fixed in advance: among shared and balanced (sticky depends on the
// clients' addresses), the one with the higher worst keep-alive repetition,
// since an uneven spread over event-loop workers shows there; when those are
// within 3 % of each other, the one with the higher new-connection median.
// It says why, with the numbers.
func Recommend(res *Results) (mode, why string) {
	sk, ok1 := CellOf(res, "poold-shared", "keepalive")
	bk, ok2 := CellOf(res, "poold-balanced", "keepalive")
	switch {
	case !ok1 && !ok2:
		return "balanced", "not measured: balanced by default"
	case !ok1:
		return "balanced", "the only one of shared and balanced measured"
	case !ok2:
		return "shared", "the only one of shared and balanced measured"
	}
	rule := "the higher worst keep-alive repetition, or when within 3 %, the higher new-connection median"
	worst := fmt.Sprintf("worst keep-alive repetition: shared %.0f, balanced %.0f req/s", sk.RPS.Min, bk.RPS.Min)
	if math.Abs(sk.RPS.Min-bk.RPS.Min) > 0.03*math.Max(sk.RPS.Min, bk.RPS.Min) {
		if sk.RPS.Min > bk.RPS.Min {
			return "shared", rule + "; " + worst
		}
		return "balanced", rule + "; " + worst
	}
	sc, _ := CellOf(res, "poold-shared", "close")
	bc, _ := CellOf(res, "poold-balanced", "close")
	tie := fmt.Sprintf("%s (within 3 %%); new connection per request: shared %.0f, balanced %.0f req/s", worst, sc.RPS.Median, bc.RPS.Median)
	if sc.RPS.Median > bc.RPS.Median {
		return "shared", rule + "; " + tie
	}
	return "balanced", rule + "; " + tie
}
