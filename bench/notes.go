package bench

import (
	"fmt"
	"slices"
	"strings"
)

// whyNotes states what the goals table alone does not: how shared and
// balanced compare for Node.js, what sticky means under a single client
// address, and which repetitions ran on a slower machine.
func whyNotes(res *Results) string {
	var s []string
	sh, ok1 := CellOf(res, "poold-shared", "keepalive")
	bal, ok2 := CellOf(res, "poold-balanced", "keepalive")
	shc, ok3 := CellOf(res, "poold-shared", "close")
	balc, ok4 := CellOf(res, "poold-balanced", "close")
	if ok1 && ok2 && ok3 && ok4 {
		s = append(s, fmt.Sprintf("- **shared or balanced for Node.js.** Keep-alive, worst repetition: `shared` %.0f req/s (worst worker CPU split %.2f, busiest/idlest), "+
			"`balanced` %.0f req/s (%.2f). New connection per request, medians: `shared` %.0f req/s (p99 %.1f ms), `balanced` %.0f req/s (p99 %.1f ms). "+
			"On one shared socket, which event-loop worker takes a connection depends on who is woken first, not on load; `balanced` hashes each "+
			"connection to a slot in the kernel, which keeps the split even whatever the wake-ups, but does not look at load either: a connection may "+
			"wait at a busy worker while the other is idle, which costs most when connections are many and short.",
			sh.RPS.Min, sh.Imbalance.Max, bal.RPS.Min, bal.Imbalance.Max, shc.RPS.Median, shc.P99.Median, balc.RPS.Median, balc.P99.Median))
	}
	if st, ok := CellOf(res, "poold-sticky", "keepalive"); ok {
		s = append(s, fmt.Sprintf("- **Sticky from one address is one worker, by design.** wrk connects from 127.0.0.1 only (it cannot spread its source addresses), "+
			"so `sticky` sends every connection to one slot (worker CPU split %s). With many clients it spreads like `balanced` ([distribution.md](distribution.md)).",
			joinPct(st.Shares)))
	}
	if b, ok := CellOf(res, "bare", "keepalive"); ok {
		s = append(s, fmt.Sprintf("- **The bare launcher** is the limit without any supervisor: one fd shared by the workers, nothing else "+
			"(keep-alive %.0f-%.0f req/s over the repetitions, worst worker CPU split %.2f).", b.RPS.Min, b.RPS.Max, b.Imbalance.Max))
	}
	if slow := slowRuns(res); len(slow) > 0 {
		s = append(s, "- **Repetitions on a slower machine.** In these, each request cost the servers at least 1.4 times the CPU it cost in the "+
			"contender's other repetitions under the same load, with the workers as busy as ever: the machine was slower (a virtual machine's CPU "+
			"shared with other guests; steal time shows only part of that), whatever the distribution: "+strings.Join(slow, "; ")+".")
	}
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, "\n") + "\n"
}

// slowRuns lists the runs whose server CPU per request is at least 1.4
// times the median of the contender's other repetitions under that load.
func slowRuns(res *Results) []string {
	var out []string
	for _, r := range res.Runs {
		if r.Wrk.Requests == 0 {
			continue
		}
		var others []float64
		for _, o := range res.Runs {
			if o.Contender == r.Contender && o.Load == r.Load && o.Rep != r.Rep && o.Wrk.Requests > 0 {
				others = append(others, perRequest(o))
			}
		}
		if m := Summarize(others).Median; len(others) > 0 && perRequest(r) >= 1.4*m {
			split := "-"
			if len(r.WorkerCPU) > 1 {
				split = joinPct(shares(r.WorkerCPU))
			}
			out = append(out, fmt.Sprintf("%s, %s, repetition %d: %.0f req/s, %.0f µs of CPU per request against %.0f, worker CPU split %s",
				label(res, r.Contender), loadLabel(res, r.Load), r.Rep, r.Wrk.RPS, perRequest(r), m, split))
		}
	}
	slices.Sort(out)
	return out
}

// perRequest is the servers' CPU (workers and supervisor) per request, µs.
func perRequest(r Run) float64 {
	total := r.SupCPU
	for _, c := range r.WorkerCPU {
		total += c
	}
	return total / float64(r.Wrk.Requests) * 1e6
}
