package main

import (
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
)

// topWorker is a worker started a minute before testNow, with the given
// counters: CPU time in ms, and the requests of a metrics report made
// reportAgo before testNow (none when reportAgo is 0).
func topWorker(id uint64, slot uint32, cpuMS uint64, requests uint64, reportAgo time.Duration) dbusapi.WorkerInfo {
	w := dbusapi.WorkerInfo{
		ID: id, Slot: slot, PID: uint32(1000 + id), State: "ready", Generation: 1,
		StartedUSec:  uint64(testNow.Add(-time.Minute).UnixMicro()),
		CPUUsageNSec: cpuMS * uint64(time.Millisecond),
	}
	if reportAgo != 0 {
		w.MetricsUSec = uint64(testNow.Add(-reportAgo).UnixMicro())
		w.RequestsTotal = requests
	}
	return w
}

func status(workers ...dbusapi.WorkerInfo) dbusapi.Status {
	return dbusapi.Status{Pool: dbusapi.PoolInfo{Name: "express", State: "running"}, Workers: workers}
}

// rows is the model's rows by worker ID.
func rows(m topModel) map[uint64]topRow {
	out := map[uint64]topRow{}
	for _, r := range m.rows {
		out[r.ID] = r
	}
	return out
}

func TestNextTopOrderAndTimes(t *testing.T) {
	old := topWorker(3, 1, 0, 0, 0)
	old.State = "stopping"
	w := topWorker(5, 1, 0, 0, 0)
	w.StartedUSec = uint64(testNow.Add(-90 * time.Second).UnixMicro())
	w.LastHeartbeatUSec = uint64(testNow.Add(-2 * time.Second).UnixMicro())
	m := nextTop(topModel{}, status(w, topWorker(9, 0, 0, 0, 0), old), dbusapi.Address{Kind: dbusapi.BusSession}, testNow, time.Second)
	var ids []uint64
	for _, r := range m.rows {
		ids = append(ids, r.ID)
	}
	if len(ids) != 3 || ids[0] != 9 || ids[1] != 3 || ids[2] != 5 {
		t.Errorf("rows in order of worker IDs %v, want by slot, then oldest first: [9 3 5]", ids)
	}
	r := rows(m)[5]
	if r.uptime != 90*time.Second || r.heartbeat != 2*time.Second {
		t.Errorf("uptime %v, heartbeat %v; want 1m30s, 2s", r.uptime, r.heartbeat)
	}
	if m.at != testNow || m.pool.Name != "express" || m.bus.Kind != dbusapi.BusSession {
		t.Errorf("model header: %v %q %v", m.at, m.pool.Name, m.bus)
	}
}

func TestNextTopCPU(t *testing.T) {
	const window = 750 * time.Millisecond
	at := func(d time.Duration) time.Time { return testNow.Add(d) }
	m := nextTop(topModel{}, status(topWorker(1, 0, 1000, 0, 0)), dbusapi.Address{}, at(0), window)
	if r := rows(m)[1]; r.cpu.known {
		t.Fatalf("CPU%% %v after one read, want unknown", r.cpu)
	}
	// 250ms of CPU in 1s: 25%.
	m = nextTop(m, status(topWorker(1, 0, 1250, 0, 0)), dbusapi.Address{}, at(time.Second), window)
	if r := rows(m)[1]; r.cpu != (rate{25, true}) {
		t.Fatalf("CPU%% %v, want 25", r.cpu)
	}
	// A read 100ms later (a signal) keeps the figure and its base...
	m = nextTop(m, status(topWorker(1, 0, 1260, 0, 0)), dbusapi.Address{}, at(1100*time.Millisecond), window)
	if r := rows(m)[1]; r.cpu != (rate{25, true}) {
		t.Fatalf("CPU%% %v after a read within the window, want 25 still", r.cpu)
	}
	// ...so that the next is worked out over 1s again: 1.5s of CPU in 1s.
	m = nextTop(m, status(topWorker(1, 0, 2750, 0, 0)), dbusapi.Address{}, at(2*time.Second), window)
	if r := rows(m)[1]; r.cpu != (rate{150, true}) {
		t.Fatalf("CPU%% %v, want 150 (one and a half CPUs)", r.cpu)
	}
	// A counter that goes backwards or becomes unknown gives no figure,
	// and the next one starts from there.
	m = nextTop(m, status(topWorker(1, 0, 100, 0, 0)), dbusapi.Address{}, at(3*time.Second), window)
	if r := rows(m)[1]; r.cpu.known {
		t.Errorf("CPU%% %v after the counter went back, want unknown", r.cpu)
	}
	m = nextTop(m, status(topWorker(1, 0, 600, 0, 0)), dbusapi.Address{}, at(4*time.Second), window)
	if r := rows(m)[1]; r.cpu != (rate{50, true}) {
		t.Errorf("CPU%% %v, want 50", r.cpu)
	}
	m = nextTop(m, status(topWorker(1, 0, 0, 0, 0)), dbusapi.Address{}, at(5*time.Second), window)
	if r := rows(m)[1]; r.cpu.known {
		t.Errorf("CPU%% %v with CPU time unknown, want unknown", r.cpu)
	}
	// A new worker in the slot starts without a figure.
	m = nextTop(m, status(topWorker(2, 0, 5000, 0, 0)), dbusapi.Address{}, at(6*time.Second), window)
	if r := rows(m)[2]; r.cpu.known {
		t.Errorf("CPU%% %v for a worker read once, want unknown", r.cpu)
	}
}

func TestNextTopRequestRate(t *testing.T) {
	read := func(m topModel, w dbusapi.WorkerInfo) (topModel, rate) {
		m = nextTop(m, status(w), dbusapi.Address{}, testNow, time.Second)
		return m, rows(m)[1].reqs
	}
	m, r := read(topModel{}, topWorker(1, 0, 0, 0, 0))
	if r.known {
		t.Fatalf("req/s %v for a worker that never reported, want unknown", r)
	}
	m, r = read(m, topWorker(1, 0, 0, 100, 10*time.Second))
	if r.known {
		t.Fatalf("req/s %v after one report, want unknown", r)
	}
	// 500 requests in the 5s between two reports.
	m, r = read(m, topWorker(1, 0, 0, 600, 5*time.Second))
	if r != (rate{100, true}) {
		t.Fatalf("req/s %v, want 100", r)
	}
	// Reads between reports see the same report: the figure stays.
	m, r = read(m, topWorker(1, 0, 0, 600, 5*time.Second))
	if r != (rate{100, true}) {
		t.Fatalf("req/s %v with no new report, want 100 still", r)
	}
	m, r = read(m, topWorker(1, 0, 0, 600, time.Second))
	if r != (rate{0, true}) {
		t.Fatalf("req/s %v after a report with no new request, want 0", r)
	}
	_, r = read(m, topWorker(1, 0, 0, 10, time.Second/2))
	if r.known {
		t.Errorf("req/s %v after the counter went back, want unknown", r)
	}
}
