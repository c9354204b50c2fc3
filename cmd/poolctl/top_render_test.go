package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/poold/poold/dbusapi"
)

// topTestModel is a pool of three workers during a restart of slot 1.
func topTestModel() topModel {
	ago := func(d time.Duration) uint64 { return uint64(testNow.Add(-d).UnixMicro()) }
	return topModel{
		at:  testNow,
		bus: dbusapi.Address{Kind: dbusapi.BusPrivate, Address: "unix:path=/run/poold/express.42/bus,guid=abc"},
		pool: dbusapi.PoolInfo{Name: "express", State: "running", TargetWorkers: 2, ReadyWorkers: 2,
			StartingWorkers: 1, Generation: 3},
		rows: []topRow{
			{WorkerInfo: dbusapi.WorkerInfo{ID: 7, Slot: 0, PID: 4101, State: "ready", Generation: 3,
				LastHeartbeatUSec: ago(2 * time.Second), Restarts: 1, MemoryCurrent: 50_443_059,
				MetricsUSec: ago(time.Second), LoopDelayP99USec: 3400, HeapUsedBytes: 21_000_000,
				RequestsTotal: 123456, StatusText: "serving\x1b[2J"},
				uptime: 3*time.Minute + 12*time.Second, heartbeat: 2 * time.Second,
				cpu: rate{12.34, true}, reqs: rate{1234.5, true}},
			{WorkerInfo: dbusapi.WorkerInfo{ID: 8, Slot: 1, PID: 4102, State: "stopping", Generation: 3,
				StatusText: "draining 3 connections"}, uptime: time.Hour},
			{WorkerInfo: dbusapi.WorkerInfo{ID: 9, Slot: 1, PID: 4200, State: "starting", Generation: 3}},
		},
	}
}

func TestRenderTop(t *testing.T) {
	got := renderTop(topTestModel(), topScreen{interval: time.Second})
	want := []string{
		"● express  running, 2/2 workers ready (1 starting), generation 3",
		"  private bus at /run/poold/express.42/bus · 12:00:00, every 1s",
		"",
		"SLOT   PID  STATE     GEN  UPTIME  RESTARTS  HEARTBEAT    MEM  CPU%  LOOP P99   HEAP    REQS  REQ/S  STATUS",
		"   0  4101  ready       3   3m12s         1     2s ago  48.1M  12.3     3.4ms  20.0M  123456   1234  serving\\x1b[2J",
		"   1  4102  stopping    3   1h00m         0          -      -     -         -      -       -      -  draining 3 connections",
		"   1  4200  starting    3      0s         0          -      -     -         -      -       -      -  -",
	}
	checkLines(t, got, want)
}

func TestRenderTopFitsTheWidth(t *testing.T) {
	m := topTestModel()
	// The status column gets what is left, cut with "…".
	got := renderTop(m, topScreen{width: 110, interactive: true, interval: 2 * time.Second})
	checkLines(t, got[1:2], []string{"  private bus at /run/poold/express.42/bus · 12:00:00, every 2s · q quits"})
	checkLines(t, got[5:6], []string{"   1  4102  stopping    3   1h00m         0          -      -     -         -      -       -      -  draining…"})
	for _, width := range []int{110, 100, 60, 10, 1} {
		for i, l := range renderTop(m, topScreen{width: width, color: true}) {
			if n := utf8.RuneCountInString(stripEscapes(l)); n > width {
				t.Errorf("width %d: line %d is %d wide: %q", width, i, n, l)
			}
		}
	}
	// Narrower than the fixed columns: the status goes, lines are cut.
	got = renderTop(m, topScreen{width: 30})
	checkLines(t, got[3:5], []string{"SLOT   PID  STATE     GEN  UPT", "   0  4101  ready       3   3m"})
}

func TestRenderTopFitsTheHeight(t *testing.T) {
	m := topTestModel()
	got := renderTop(m, topScreen{height: 6})
	checkLines(t, got[4:], []string{
		"   0  4101  ready       3   3m12s         1     2s ago  48.1M  12.3     3.4ms  20.0M  123456   1234  serving\\x1b[2J",
		"... 2 more workers; make the terminal taller to see them",
	})
	if got := renderTop(m, topScreen{height: 7}); len(got) != 7 || !strings.Contains(got[6], "4200") {
		t.Errorf("with room for every worker: %q", got)
	}
	if got := renderTop(m, topScreen{height: 2}); len(got) != 2 {
		t.Errorf("%d lines on a screen of 2: %q", len(got), got)
	}
}

func TestRenderTopColors(t *testing.T) {
	m := topTestModel()
	plain := renderTop(m, topScreen{width: 120})
	colored := renderTop(m, topScreen{width: 120, color: true})
	for i := range plain {
		if stripEscapes(colored[i]) != plain[i] {
			t.Errorf("line %d: %q without its colours, want %q", i, stripEscapes(colored[i]), plain[i])
		}
	}
	for i, want := range map[int]string{
		0: "\x1b[0;1;32m●\x1b[0m express",
		3: "\x1b[1mSLOT",
		4: "\x1b[32mready\x1b[0m",
		5: "\x1b[35mstopping\x1b[0m",
		6: "\x1b[33mstarting\x1b[0m",
	} {
		if !strings.Contains(colored[i], want) {
			t.Errorf("line %d: %q, want it to have %q", i, colored[i], want)
		}
	}
	// A line cut within the state column shows it without a colour.
	for _, l := range renderTop(m, topScreen{width: 14, color: true})[4:] {
		if strings.Contains(l, "\x1b") {
			t.Errorf("cut line %q has escape codes", l)
		}
	}
}

func TestRenderTopNoWorkers(t *testing.T) {
	m := topTestModel()
	m.rows = nil
	m.pool.State = "stopping"
	got := renderTop(m, topScreen{note: "could not read the pool"})
	checkLines(t, got[2:], []string{"could not read the pool", "No workers."})
}

func TestScreenFrame(t *testing.T) {
	if got, want := string(screenFrame([]string{"a", "b"}, 5)), "\x1b[H\x1b[2Ka\r\n\x1b[2Kb\r\n\x1b[J"; got != want {
		t.Errorf("frame %q, want %q", got, want)
	}
	// A full screen ends on its last line: a line end there would scroll.
	if got, want := string(screenFrame([]string{"a", "b"}, 2)), "\x1b[H\x1b[2Ka\r\n\x1b[2Kb"; got != want {
		t.Errorf("full frame %q, want %q", got, want)
	}
}

func checkLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
