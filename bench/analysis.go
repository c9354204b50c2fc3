package bench

import "slices"

// Cell sums up one contender under one load over the repetitions.
type Cell struct {
	RPS       Spread
	ByRep     map[int]float64 // req/s of each repetition
	P99       Spread          // ms
	Failed    int64           // over all repetitions
	Imbalance Spread          // busiest worker's CPU over the idlest's
	Shares    []float64       // per-worker CPU shares (%) of the most uneven repetition
	SupCPU    Spread          // % of one core
	SupRSS    Spread          // MiB
	WorkerRSS Spread          // MiB, all workers of all repetitions
	CPUPerReq Spread          // µs of server CPU (workers and supervisor) per request
	WrkCPU    Spread          // % of one core
	Busy      Spread          // servers' CPU, % of one core
}

// CellOf sums up the runs of contender under load; false when there are none.
func CellOf(res *Results, contender, load string) (Cell, bool) {
	c := Cell{ByRep: map[int]float64{}}
	var rps, p99, imb, sup, supRSS, wrss, perReq, wrk, busy []float64
	worst := 0.0
	for _, r := range res.Runs {
		if r.Contender != contender || r.Load != load {
			continue
		}
		secs := r.Wrk.Seconds
		if secs <= 0 {
			secs = res.Config.Duration
		}
		rps = append(rps, r.Wrk.RPS)
		c.ByRep[r.Rep] = r.Wrk.RPS
		p99 = append(p99, r.Wrk.Latency["99"])
		c.Failed += r.Wrk.Failed()
		total := r.SupCPU
		for _, x := range r.WorkerCPU {
			total += x
		}
		for _, k := range r.WorkerRSS {
			wrss = append(wrss, float64(k)/1024)
		}
		if r.Wrk.Requests > 0 {
			perReq = append(perReq, total/float64(r.Wrk.Requests)*1e6)
		}
		busy = append(busy, total/secs*100)
		wrk = append(wrk, r.Wrk.CPU/secs*100)
		if len(r.WorkerCPU) > 1 {
			i := Imbalance(r.WorkerCPU)
			imb = append(imb, i)
			if i >= worst {
				worst, c.Shares = i, shares(r.WorkerCPU)
			}
		}
		if r.SupRSS > 0 {
			sup = append(sup, r.SupCPU/secs*100)
			supRSS = append(supRSS, float64(r.SupRSS)/1024)
		}
	}
	if len(rps) == 0 {
		return c, false
	}
	c.RPS, c.P99, c.Imbalance, c.SupCPU = Summarize(rps), Summarize(p99), Summarize(imb), Summarize(sup)
	c.SupRSS, c.WorkerRSS, c.CPUPerReq = Summarize(supRSS), Summarize(wrss), Summarize(perReq)
	c.WrkCPU, c.Busy = Summarize(wrk), Summarize(busy)
	return c, true
}

func shares(xs []float64) []float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		if sum > 0 {
			out[i] = x / sum * 100
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}
