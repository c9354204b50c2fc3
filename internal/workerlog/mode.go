package workerlog

import (
	"fmt"

	"github.com/poold/poold/internal/enum"
)

// Mode is --worker-logs: where the workers' stdout and stderr go.
type Mode int

const (
	// Auto is Journal when poold's stderr is the journal (JOURNAL_STREAM
	// names it), Prefix otherwise.
	Auto Mode = iota + 1
	// Journal: each line is a journal entry with the POOLD_* fields.
	Journal
	// Prefix: each line goes to poold's stdout or stderr (the worker's
	// stream), after "[POOL SLOT PID] ", coloured per slot on a terminal.
	Prefix
	// Inherit: the workers write to poold's stdout and stderr themselves.
	Inherit
)

var modes = enum.Names[Mode]{What: "worker-logs", Type: "Mode", Names: []string{"auto", "journal", "prefix", "inherit"}}

func (m Mode) String() string { return modes.String(m) }

// ParseMode parses a --worker-logs value.
func ParseMode(s string) (Mode, error) { return modes.Parse(s) }

// Resolve is the mode Auto stands for, given whether poold's stderr is the
// journal; other modes are themselves.
func (m Mode) Resolve(stderrIsJournal bool) Mode {
	switch {
	case m != Auto:
		return m
	case stderrIsJournal:
		return Journal
	}
	return Prefix
}

// Stream is which of a worker's outputs a line came from.
type Stream int

const (
	Stdout Stream = iota + 1
	Stderr
)

func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return fmt.Sprintf("Stream(%d)", int(s))
}

// Worker names the writer of a line.
type Worker struct {
	Pool       string
	Slot       int
	Generation int
	ID         uint64 // POOLD_WORKER_ID
	PID        int
}

// Sink takes one line of a worker's output, without its newline. It must
// not keep line after it returns, and is called from several goroutines.
type Sink interface {
	Line(w Worker, s Stream, line []byte) error
}
