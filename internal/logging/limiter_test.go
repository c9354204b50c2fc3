package logging

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/clock/clocktest"
	"github.com/poold/poold/internal/logging/logtest"
)

func newTestLog() (*slog.Logger, *logtest.Buffer) {
	out := &logtest.Buffer{}
	return New(out, Journal, slog.LevelInfo), out
}

func TestLimiterPassesBurstThenSummarises(t *testing.T) {
	log, out := newTestLog()
	clk := clocktest.NewFake()
	l := NewLimiter(3, 10*time.Second, clk)
	w1 := log.With("worker", 1)
	for i := range 1000 {
		l.Warn(w1, 1, "bad line", "n", i)
	}
	got := out.Take()
	want := []string{`WRN bad line worker=1 n=0`, `WRN bad line worker=1 n=1`, `WRN bad line worker=1 n=2`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("within the interval: %q, want %q", got, want)
	}
	clk.Advance(10*time.Second - time.Nanosecond)
	if got := out.Take(); got != nil {
		t.Fatalf("before the interval ends: %q", got)
	}
	clk.Advance(time.Nanosecond)
	if got, want := out.Take(), []string{`WRN bad line: 997 more suppressed in 10s worker=1`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("at the end of the interval: %q, want %q", got, want)
	}
	l.Warn(w1, 1, "bad line", "n", 1000)
	if got := out.Take(); len(got) != 1 || got[0] != `WRN bad line worker=1 n=1000` {
		t.Fatalf("next interval: %q, want the warning passed", got)
	}
}

func TestLimiterKeysAreIndependent(t *testing.T) {
	log, out := newTestLog()
	clk := clocktest.NewFake()
	l := NewLimiter(1, time.Second, clk)
	type key struct {
		worker int
		kind   string
	}
	for range 5 {
		l.Warn(log, key{1, "notify"}, "notify")
		l.Warn(log, key{1, "channel"}, "channel")
		l.Warn(log, key{2, "notify"}, "notify")
	}
	if got := out.Take(); len(got) != 3 {
		t.Fatalf("three keys, burst 1: %d lines %q, want 3", len(got), got)
	}
	clk.Advance(time.Second)
	if got := out.Take(); len(got) != 3 || !strings.Contains(got[0], ": 4 more suppressed") {
		t.Fatalf("summaries: %q, want three of 4 suppressed", got)
	}
}

func TestLimiterQuietIntervalLogsNoSummary(t *testing.T) {
	log, out := newTestLog()
	clk := clocktest.NewFake()
	l := NewLimiter(2, time.Second, clk)
	l.Warn(log, "k", "once")
	l.Warn(log, "k", "twice")
	clk.Advance(time.Second)
	if got := out.Take(); len(got) != 2 {
		t.Fatalf("%q, want the two warnings and no summary", got)
	}
	if n := len(l.keys); n != 0 {
		t.Errorf("%d keys kept after their interval ended", n)
	}
}

// A flood of a thousand warnings per interval for a minute logs a bounded
// number of lines: the burst and one summary per interval.
func TestLimiterBoundsAFlood(t *testing.T) {
	log, out := newTestLog()
	clk := clocktest.NewFake()
	l := NewLimiter(5, 10*time.Second, clk)
	for range 60 {
		for range 1000 {
			l.Warn(log, 7, "flood")
		}
		clk.Advance(time.Second)
	}
	if got := len(out.Take()); got != 6*(5+1) {
		t.Errorf("%d lines for 60,000 warnings over 6 intervals, want %d", got, 6*(5+1))
	}
}
