package main

import (
	"cmp"
	"slices"
	"time"

	"github.com/poold/poold/dbusapi"
)

// topModel is what one screen of poolctl top shows: the pool as last read,
// and a row per worker with the rates computed from earlier reads. Each
// read makes the next model from the previous one (nextTop); nothing here
// reads a clock or a bus.
type topModel struct {
	at   time.Time // when the pool was read
	pool dbusapi.PoolInfo
	bus  dbusapi.Address
	rows []topRow // by slot, then oldest worker first
}

// topRow is one worker and what top works out about it.
type topRow struct {
	dbusapi.WorkerInfo
	uptime    time.Duration // since it started
	heartbeat time.Duration // since its last heartbeat; valid when LastHeartbeatUSec != 0
	cpu       rate          // percent of one CPU
	reqs      rate          // requests handled per second

	// What the next rates are computed from: the CPU time at the read
	// cpu was computed at, and the worker's last metrics report.
	cpuBase sample
	reqBase sample
}

// rate is a figure worked out from two readings of a counter.
type rate struct {
	v     float64
	known bool
}

// sample is a counter's value at a time (ns since the epoch for CPU
// reads, µs since the epoch for metrics reports: compared only among
// themselves).
type sample struct {
	at    int64
	value uint64
}

func (s sample) zero() bool { return s.at == 0 }

// nextTop is the model after reading st at time at, following prev (the
// zero topModel before the first read).
//
// CPU% is the CPU time a worker used between two reads over the wall time
// between them. Reads closer together than minWindow (the pool's signals
// cause reads at any moment) keep the CPU% of the last window, so that it
// does not jump about on tiny windows. Req/s is worked out between the
// worker's metrics reports, which come every few seconds (and not between
// reads, which would see the counter stand still, then jump): it changes
// when a new report does. Both are unknown for a worker seen for the first
// time, and when a counter is 0 (unknown) or goes backwards.
func nextTop(prev topModel, st dbusapi.Status, bus dbusapi.Address, at time.Time, minWindow time.Duration) topModel {
	old := make(map[uint64]topRow, len(prev.rows))
	for _, r := range prev.rows {
		old[r.ID] = r
	}
	m := topModel{at: at, pool: st.Pool, bus: bus, rows: make([]topRow, 0, len(st.Workers))}
	for _, w := range st.Workers {
		r := topRow{WorkerInfo: w}
		r.uptime, _ = since(w.StartedUSec, at)
		r.heartbeat, _ = since(w.LastHeartbeatUSec, at)
		was, seen := old[w.ID]
		r.cpu, r.cpuBase = cpuRate(was, seen, w.CPUUsageNSec, at, minWindow)
		r.reqs, r.reqBase = reqRate(was, seen, w)
		m.rows = append(m.rows, r)
	}
	slices.SortStableFunc(m.rows, func(a, b topRow) int {
		return cmp.Or(cmp.Compare(a.Slot, b.Slot), cmp.Compare(a.ID, b.ID))
	})
	return m
}

// cpuRate is a worker's CPU% for a read of cpuNSec at time at, and the
// sample the next one is computed from.
func cpuRate(was topRow, seen bool, cpuNSec uint64, at time.Time, minWindow time.Duration) (rate, sample) {
	now := sample{at: at.UnixNano(), value: cpuNSec}
	if cpuNSec == 0 {
		return rate{}, sample{} // unknown: start again from the next figure
	}
	if !seen || was.cpuBase.zero() {
		return rate{}, now
	}
	base := was.cpuBase
	elapsed := now.at - base.at
	switch {
	case elapsed < int64(minWindow) || elapsed <= 0:
		return was.cpu, base
	case cpuNSec < base.value:
		return rate{}, now
	}
	return rate{v: float64(cpuNSec-base.value) / float64(elapsed) * 100, known: true}, now
}

// reqRate is a worker's requests per second between its last two metrics
// reports, and the report the next one is computed from.
func reqRate(was topRow, seen bool, w dbusapi.WorkerInfo) (rate, sample) {
	report := sample{at: int64(w.MetricsUSec), value: w.RequestsTotal}
	if w.MetricsUSec == 0 {
		return rate{}, sample{} // never reported
	}
	if !seen || was.reqBase.zero() {
		return rate{}, report
	}
	base := was.reqBase
	switch {
	case report.at == base.at:
		return was.reqs, base // no new report since
	case report.at < base.at || report.value < base.value:
		return rate{}, report
	}
	secs := float64(report.at-base.at) / 1e6
	return rate{v: float64(report.value-base.value) / secs, known: true}, report
}
