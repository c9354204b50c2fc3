package main

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/poold/poold/internal/plural"
)

// topScreen is what a frame's layout depends on besides the model.
type topScreen struct {
	width, height int  // in columns and lines; 0 for no limit
	color         bool // ANSI colours
	interactive   bool // the full-screen view: say how to quit
	interval      time.Duration
	note          string // a problem with the last read, shown under the header
}

// topColumns are the worker table's columns; the last one, the status
// text, takes what is left of the width.
var topColumns = []struct {
	title string
	right bool // numbers are right-aligned
}{
	{"SLOT", true}, {"PID", true}, {"STATE", false}, {"GEN", true}, {"UPTIME", true},
	{"RESTARTS", true}, {"HEARTBEAT", true}, {"MEM", true}, {"CPU%", true}, {"LOOP P99", true},
	{"HEAP", true}, {"REQS", true}, {"REQ/S", true}, {"STATUS", false},
}

const (
	topStateColumn = 2
	topGap         = "  "
	topHeaderLines = 4 // pool, bus and time, note or blank, column titles
)

// renderTop lays out one frame of poolctl top: lines no wider than
// s.width, at most s.height of them, without line ends. Text from the pool
// is escaped (see escape); ANSI codes appear only with s.color.
func renderTop(m topModel, s topScreen) []string {
	v := view{color: s.color}
	lines := []string{
		fit(v.dot(m.pool.State)+" "+escape(m.pool.Name)+"  "+escape(stateLine(m.pool)), s.width, s.color),
		fit("  "+escape(topSubtitle(m, s)), s.width, false),
		fit(escape(s.note), s.width, false),
	}
	if len(m.rows) == 0 {
		lines = append(lines, "No workers.")
		return limitLines(lines, s.height)
	}
	cells := make([][]string, len(m.rows))
	for i, r := range m.rows {
		cells[i] = r.cells()
	}
	widths := columnWidths(cells)
	titles := make([]string, len(topColumns))
	for i, c := range topColumns {
		titles[i] = c.title
	}
	title := layoutRow(titles, widths, s.width, "")
	if s.color {
		title = "\x1b[1m" + title + "\x1b[0m" // bold; the title is already cut to width
	}
	lines = append(lines, title)

	shown := len(m.rows)
	if room := s.height - topHeaderLines; s.height > 0 && shown > room {
		shown = max(room-1, 0) // one line to say how many are left out
	}
	for i := range shown {
		paint := ""
		if s.color {
			paint = stateColor(m.rows[i].State)
		}
		lines = append(lines, layoutRow(cells[i], widths, s.width, paint))
	}
	if left := len(m.rows) - shown; left > 0 {
		lines = append(lines, fit("... "+plural.Of(left, "more worker")+"; make the terminal taller to see them", s.width, false))
	}
	return limitLines(lines, s.height)
}

// topSubtitle: "private bus at /run/poold/x.1/bus · 12:00:05, every 1s · q quits".
func topSubtitle(m topModel, s topScreen) string {
	parts := []string{describeBus(m.bus), m.at.Format("15:04:05")}
	if s.interval > 0 {
		parts[1] += ", every " + s.interval.String()
	}
	if s.interactive {
		parts = append(parts, "q quits")
	}
	return strings.Join(parts, " · ")
}

// cells is a worker's row as text, one string per column.
func (r topRow) cells() []string {
	heartbeat := "-"
	if r.LastHeartbeatUSec != 0 {
		heartbeat = humanDuration(r.heartbeat) + " ago"
	}
	loop, heap, reqs := reported(r.WorkerInfo)
	return []string{
		fmt.Sprint(r.Slot), fmt.Sprint(r.PID), orDash(escape(r.State)), fmt.Sprint(r.Generation),
		humanDuration(r.uptime), fmt.Sprint(r.Restarts), heartbeat, humanBytes(r.MemoryCurrent),
		r.cpu.format(), loop, heap, reqs, r.reqs.format(), orDash(escape(r.StatusText)),
	}
}

// format: "12.3", "1234" from 1000 on, "-" when unknown.
func (r rate) format() string {
	switch {
	case !r.known:
		return "-"
	case r.v >= 1000:
		return fmt.Sprintf("%.0f", r.v)
	}
	return fmt.Sprintf("%.1f", r.v)
}

// columnWidths is the width of each column but the last, the widest of its
// title and its cells.
func columnWidths(rows [][]string) []int {
	widths := make([]int, len(topColumns)-1)
	for i := range widths {
		widths[i] = len(topColumns[i].title)
		for _, cells := range rows {
			widths[i] = max(widths[i], utf8.RuneCountInString(cells[i]))
		}
	}
	return widths
}

// layoutRow lines cells up under widths; the last cell is cut to what is
// left of width, with "…" when cut. A paint code colours the state cell
// when the line is wide enough to show it whole.
func layoutRow(cells []string, widths []int, width int, paint string) string {
	var b strings.Builder
	stateStart, stateEnd := 0, 0
	for i, w := range widths {
		if i == topStateColumn {
			stateStart = b.Len()
		}
		b.WriteString(pad(cells[i], w, topColumns[i].right))
		if i == topStateColumn {
			stateEnd = stateStart + len(cells[i])
		}
		b.WriteString(topGap)
	}
	fixed := b.String() // ASCII up to the status text, except the state cell
	last := cells[len(cells)-1]
	fixedWidth := utf8.RuneCountInString(fixed)
	if width > 0 {
		room := width - fixedWidth
		switch {
		case room <= 0:
			return cut(strings.TrimRight(fixed, " "), width)
		case utf8.RuneCountInString(last) > room:
			last = cut(last, room-1) + "…"
		}
	}
	line := strings.TrimRight(fixed+last, " ")
	if paint == "" || stateEnd > len(line) {
		return line
	}
	return line[:stateStart] + "\x1b[" + paint + "m" + line[stateStart:stateEnd] + "\x1b[0m" + line[stateEnd:]
}

// stateColor is the colour of a worker state: green when ready, yellow
// while starting, magenta while stopping.
func stateColor(state string) string {
	switch state {
	case "ready":
		return "32"
	case "starting":
		return "33"
	case "stopping":
		return "35"
	}
	return ""
}

// pad fills s with spaces to w columns, on the left when right.
func pad(s string, w int, right bool) string {
	n := w - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

// cut is s in at most w columns (runes).
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	return string([]rune(s)[:w])
}

// fit cuts a line to width, 0 for no limit. A line that has escape codes
// (colored) is left as it is when it fits, else cut without them.
func fit(s string, width int, colored bool) string {
	if width <= 0 {
		return s
	}
	if colored {
		if plain := stripEscapes(s); utf8.RuneCountInString(plain) > width {
			return cut(plain, width)
		}
		return s
	}
	return cut(s, width)
}

// stripEscapes removes the "ESC [ ... m" colour codes renderTop writes.
func stripEscapes(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return b.String()
		}
		s = s[i+j+1:]
	}
}

// limitLines keeps the first height lines, all when height is 0.
func limitLines(lines []string, height int) []string {
	if height > 0 && len(lines) > height {
		return lines[:height]
	}
	return lines
}
