package workerlog

import (
	"fmt"

	"github.com/poold/poold/internal/mode"
)

// Mode is --worker-logs: where the workers' stdout and stderr go
// (mode.WorkerLogs).
type Mode = mode.WorkerLogs

const (
	Auto    = mode.LogsAuto
	Journal = mode.LogsJournal
	Prefix  = mode.LogsPrefix
	Inherit = mode.LogsInherit
)

// ParseMode parses a --worker-logs value.
func ParseMode(s string) (Mode, error) { return mode.ParseWorkerLogs(s) }

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
