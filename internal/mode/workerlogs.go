package mode

import "github.com/poold/poold/internal/enum"

// WorkerLogs is --worker-logs: where the workers' stdout and stderr go.
type WorkerLogs int

const (
	// LogsAuto is LogsJournal when poold's stderr is the journal
	// (JOURNAL_STREAM names it), LogsPrefix otherwise.
	LogsAuto WorkerLogs = iota + 1
	// LogsJournal: each line is a journal entry with the POOLD_* fields.
	LogsJournal
	// LogsPrefix: each line goes to poold's stdout or stderr (the worker's
	// stream), after "[POOL SLOT PID] ", coloured per slot on a terminal.
	LogsPrefix
	// LogsInherit: the workers write to poold's stdout and stderr themselves.
	LogsInherit
)

var workerLogModes = enum.Names[WorkerLogs]{What: "worker-logs", Type: "Mode", Names: []string{"auto", "journal", "prefix", "inherit"}}

func (m WorkerLogs) String() string { return workerLogModes.String(m) }

// ParseWorkerLogs parses a --worker-logs value.
func ParseWorkerLogs(s string) (WorkerLogs, error) { return workerLogModes.Parse(s) }

// Resolve is the mode LogsAuto stands for, given whether poold's stderr is
// the journal; other modes are themselves.
func (m WorkerLogs) Resolve(stderrIsJournal bool) WorkerLogs {
	switch {
	case m != LogsAuto:
		return m
	case stderrIsJournal:
		return LogsJournal
	}
	return LogsPrefix
}
