package main

import (
	"fmt"
	"io"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times.
const clockTicks = 100

// newConnSlack is how long before a request started a disruption still
// explains its failure: the connection may have been accepted just before.
const newConnSlack = time.Second

type report struct {
	duration    time.Duration
	requests    int
	failed      int
	unexplained int
	examples    []string // the first unexplained failures
	kills       int
	stops       int
	samples     []sample
	secondTerms int
	logBytes    int64
	stopErr     error
}

// classify counts the failures, and those no disruption explains: a
// keep-alive request fails explained when its connection's worker was
// disrupted before it ended; a request on a new connection, when any worker
// was disrupted while it ran.
func (r *report) classify(results []result, events []disruption) {
	disrupted := make(map[int]time.Time, len(events))
	for _, e := range events {
		disrupted[e.pid] = e.at
		if e.sig == syscall.SIGKILL {
			r.kills++
		} else {
			r.stops++
		}
	}
	r.requests = len(results)
	for _, res := range results {
		if res.err == nil {
			continue
		}
		r.failed++
		if explained(res, events, disrupted) {
			continue
		}
		r.unexplained++
		if len(r.examples) < 10 {
			r.examples = append(r.examples, fmt.Sprintf("%s keep-alive=%v after %v: %v",
				res.start.Format("15:04:05.000"), res.keepAlive, res.end.Sub(res.start).Round(time.Millisecond), res.err))
		}
	}
}

func explained(res result, events []disruption, disrupted map[int]time.Time) bool {
	if res.connPID != 0 {
		at, ok := disrupted[res.connPID]
		return ok && !at.After(res.end)
	}
	for _, e := range events {
		if !e.at.Before(res.start.Add(-newConnSlack)) && !e.at.After(res.end) {
			return true
		}
	}
	return false
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "soak of %v: %d disruptions (%d SIGKILL, %d SIGSTOP)\n", r.duration, r.kills+r.stops, r.kills, r.stops)
	pct := 0.0
	if r.requests > 0 {
		pct = 100 * float64(r.failed) / float64(r.requests)
	}
	fmt.Fprintf(w, "requests: %d, failed %d (%.3f %%), of which %d not explained by a disruption\n",
		r.requests, r.failed, pct, r.unexplained)
	for _, e := range r.examples {
		fmt.Fprintln(w, "  unexplained:", e)
	}
	if n := len(r.samples); n > 0 {
		first, last := r.samples[0], r.samples[n-1]
		fmt.Fprintf(w, "poold fds: first %d, last %d, %s\n", first.fds, last.fds,
			r.rangeAfterWarmUp(func(s sample) int { return s.fds }))
		fmt.Fprintf(w, "poold RSS (KiB): first %d, last %d, %s\n", first.rssKiB, last.rssKiB,
			r.rangeAfterWarmUp(func(s sample) int { return s.rssKiB }))
		cpu := float64(last.cpuTicks-first.cpuTicks) / clockTicks
		fmt.Fprintf(w, "poold CPU: %.1f s over %v (%.2f %% of one core)\n", cpu, last.at-first.at,
			100*cpu/max((last.at-first.at).Seconds(), 1))
	}
	fmt.Fprintf(w, "workers that got a second SIGTERM: %d\n", r.secondTerms)
	fmt.Fprintf(w, "poold log: %d bytes\n", r.logBytes)
	if r.stopErr != nil {
		fmt.Fprintf(w, "poold stop: %v\n", r.stopErr)
	}
}

// warmUp is how long poold's heap takes to reach its steady size under the load.
const warmUp = time.Minute

// rangeAfterWarmUp gives the least and the most of a sampled figure once
// the warm-up is over: growth shows as a most well above the least.
func (r *report) rangeAfterWarmUp(figure func(sample) int) string {
	lo, hi := -1, -1
	for _, s := range r.samples {
		if s.at < warmUp {
			continue
		}
		v := figure(s)
		if lo < 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if lo < 0 {
		return "no sample after the first minute"
	}
	return fmt.Sprintf("after the first minute between %d and %d", lo, hi)
}
