// Package logging builds poold's one *slog.Logger: tint with colours on a
// terminal, plain text without timestamps when stderr is the journal (which
// adds its own), plain text with timestamps otherwise.
package logging

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/lmittmann/tint"
	"golang.org/x/term"
)

// Output says where log lines go, which decides their format.
type Output int

const (
	// Terminal: colours and short timestamps.
	Terminal Output = iota + 1
	// Journal: no colours, no timestamps (journald stamps every line).
	Journal
	// Plain: no colours, timestamps (files, pipes, CI logs).
	Plain
)

// Detect looks at stderr.
func Detect() Output {
	if ok, _ := journal.StderrIsJournalStream(); ok {
		return Journal
	}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		return Terminal
	}
	return Plain
}

// New returns a logger writing to w in the format out calls for.
func New(w io.Writer, out Output, level slog.Leveler) *slog.Logger {
	opts := &tint.Options{Level: level, TimeFormat: time.TimeOnly, NoColor: out != Terminal}
	if out == Journal {
		opts.ReplaceAttr = dropTime
	}
	return slog.New(tint.NewTextHandler(w, opts))
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
