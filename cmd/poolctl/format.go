package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// output is how list and status print.
type output int

const (
	outputTable output = iota + 1
	outputJSON
)

func (o output) String() string {
	switch o {
	case outputTable:
		return "table"
	case outputJSON:
		return "json"
	}
	return fmt.Sprintf("output(%d)", int(o))
}

// outputFor is the output --json asks for.
func outputFor(asJSON bool) output {
	if asJSON {
		return outputJSON
	}
	return outputTable
}

// view is what the human output depends on besides the data.
type view struct {
	now   time.Time
	color bool // ANSI colours: stdout is a terminal
}

// newTable aligns tab-separated columns two spaces apart; the last column
// of a row is not padded.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// humanBytes is a size the way systemctl status shows memory: "512B",
// "48.1M"; "-" for 0, which means unknown.
func humanBytes(n uint64) string {
	if n == 0 {
		return "-"
	}
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	v := float64(n)
	unit := 0
	for v >= 1024 && unit < len("KMGTPE") {
		v /= 1024
		unit++
	}
	return fmt.Sprintf("%.1f%c", v, "KMGTPE"[unit-1])
}

// humanDuration is a compact duration for tables: "45s", "3m12s", "2h05m",
// "3d04h".
func humanDuration(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// since is the time from usec (µs since the epoch, 0 for never) to now.
func since(usec uint64, now time.Time) (time.Duration, bool) {
	if usec == 0 {
		return 0, false
	}
	return now.Sub(time.UnixMicro(int64(usec))), true
}

// uptime is how long ago usec was, "-" for never.
func uptime(usec uint64, now time.Time) string {
	d, ok := since(usec, now)
	if !ok {
		return "-"
	}
	return humanDuration(d)
}

// age is uptime with " ago", for events: "2s ago".
func age(usec uint64, now time.Time) string {
	d, ok := since(usec, now)
	if !ok {
		return "-"
	}
	return humanDuration(d) + " ago"
}

// cpuSeconds is CPU time in seconds, "-" for 0 (unknown).
func cpuSeconds(nsec uint64) string {
	if nsec == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", float64(nsec)/1e9)
}

// orDash is s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
