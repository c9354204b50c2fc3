package workerlog

import (
	"path/filepath"
	"slices"
	"strconv"

	"github.com/coreos/go-systemd/v22/journal"
)

// Priorities of lines without a "<N>" prefix: docker's and podman's
// journald drivers, and conmon, use the same.
const (
	stdoutPriority = journal.PriInfo
	stderrPriority = journal.PriErr
)

// JournalSink sends each line as a journal entry of its own over the native
// protocol (see nativeConn).
type JournalSink struct {
	ident string
	send  func(entry []byte) error
}

// NewJournalSink returns a sink whose entries carry the worker command's
// name as SYSLOG_IDENTIFIER, as systemd's stdout streams do for a
// service's executable.
func NewJournalSink(command []string) *JournalSink {
	c := &nativeConn{path: journalSocket}
	return &JournalSink{ident: identifier(command), send: c.send}
}

func identifier(command []string) string {
	if len(command) == 0 || command[0] == "" {
		return "poold-worker"
	}
	return filepath.Base(command[0])
}

func (j *JournalSink) Line(w Worker, s Stream, line []byte) error {
	return j.send(j.entry(w, s, line).encode())
}

// entry is one journal entry: MESSAGE, PRIORITY and the other fields.
type entry struct {
	message  string
	priority journal.Priority
	fields   map[string]string
}

// encode is the entry in the native protocol: MESSAGE, PRIORITY, then the
// other fields in name order.
func (e entry) encode() []byte {
	buf := make([]byte, 0, len(e.message)+256)
	buf = appendField(buf, "MESSAGE", e.message)
	buf = appendField(buf, "PRIORITY", strconv.Itoa(int(e.priority)))
	keys := make([]string, 0, len(e.fields))
	for k := range e.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		buf = appendField(buf, k, e.fields[k])
	}
	return buf
}

// entry builds the entry for a line. _PID is poold's, which sends it:
// journald sets every field starting with '_' itself. The worker's PID is
// POOLD_PID, and OBJECT_PID, which makes journald add OBJECT_COMM,
// OBJECT_EXE, OBJECT_CMDLINE and the rest about the worker when poold runs
// as root (systemd.journal-fields(7)); otherwise it is a plain field.
func (j *JournalSink) entry(w Worker, s Stream, line []byte) entry {
	pri := stdoutPriority
	if s == Stderr {
		pri = stderrPriority
	}
	if level, rest, ok := levelPrefix(line); ok {
		pri, line = journal.Priority(level), rest
	}
	pid := strconv.Itoa(w.PID)
	return entry{message: string(line), priority: pri, fields: map[string]string{
		"SYSLOG_IDENTIFIER": j.ident,
		"POOLD_POOL":        w.Pool,
		"POOLD_SLOT":        strconv.Itoa(w.Slot),
		"POOLD_GENERATION":  strconv.Itoa(w.Generation),
		"POOLD_WORKER_ID":   strconv.FormatUint(w.ID, 10),
		"POOLD_PID":         pid,
		"POOLD_STREAM":      s.String(),
		"OBJECT_PID":        pid,
	}}
}
