package bench

import (
	"fmt"
	"strings"
)

// opTotals is what a table row says of a group of operational runs.
type opTotals struct {
	failed []string // per run, as failedCell
	wrk    Wrk      // socket errors and non-2xx answers, summed
	rps    []float64
	times  []float64 // seconds the operation took, where it finished
	never  int       // runs whose operation did not finish
}

// totalOps adds up ops. With skipErrored, a run that failed (Err set) counts
// only in failed: its figures are not of the operation.
func totalOps(ops []Op, skipErrored bool) opTotals {
	var t opTotals
	for _, o := range ops {
		t.failed = append(t.failed, failedCell(o))
		if skipErrored && o.Err != "" {
			continue
		}
		t.wrk.Connect, t.wrk.Read, t.wrk.Write = t.wrk.Connect+o.Wrk.Connect, t.wrk.Read+o.Wrk.Read, t.wrk.Write+o.Wrk.Write
		t.wrk.Timeout, t.wrk.Non2xx = t.wrk.Timeout+o.Wrk.Timeout, t.wrk.Non2xx+o.Wrk.Non2xx
		t.rps = append(t.rps, o.Wrk.RPS)
		if o.Seconds >= 0 {
			t.times = append(t.times, o.Seconds)
		} else {
			t.never++
		}
	}
	return t
}

// timeCell is "median s (min-max)", with how many runs did not finish,
// described as unfinished.
func (t opTotals) timeCell(unfinished string) string {
	cell := "-"
	if s := Summarize(t.times); s.N > 0 {
		cell = fmt.Sprintf("%.2f s (%.2f-%.2f)", s.Median, s.Min, s.Max)
	}
	if t.never > 0 {
		cell = strings.TrimPrefix(cell+fmt.Sprintf(", %d× %s", t.never, unfinished), "-, ")
	}
	return cell
}

// errorsCell is the summed wrk errors as connect/read/write/timeout/non-2xx.
func (t opTotals) errorsCell() string {
	return fmt.Sprintf("%d/%d/%d/%d/%d", t.wrk.Connect, t.wrk.Read, t.wrk.Write, t.wrk.Timeout, t.wrk.Non2xx)
}
