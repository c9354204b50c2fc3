package main

import (
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/logging/logtest"
)

var refusedScale = dbusapi.Call{
	Op: "scale", Args: "workers=8", Outcome: dbusapi.Refused, Err: dbusapi.ErrNotPermitted,
	Caller: dbusapi.Caller{Sender: ":1.7", UID: 65534, HasUID: true, User: "nobody", PID: 99, Command: "poolctl", Unit: "session-3.scope"},
}

// With the journal as poold's log, a record is an entry of its own: the
// line poold would have logged, and fields naming the call and its caller.
func TestAuditRecordGoesToTheJournalWithFields(t *testing.T) {
	var logs logtest.Buffer
	var gotMsg string
	var gotPri journal.Priority
	var gotFields map[string]string
	a := auditor{log: logging.New(&logs, logging.Journal, slog.LevelInfo), journal: true,
		send: func(msg string, pri journal.Priority, fields map[string]string) error {
			gotMsg, gotPri, gotFields = msg, pri, fields
			return nil
		}}
	a.Audit(refusedScale)
	want := map[string]string{
		"SYSLOG_IDENTIFIER": "poold", "POOLD_OP": "scale", "POOLD_ARGS": "workers=8",
		"POOLD_OUTCOME": "refused", "POOLD_ERROR": "not permitted", "POOLD_CALLER_SENDER": ":1.7",
		"POOLD_CALLER_UID": "65534", "POOLD_CALLER_USER": "nobody", "POOLD_CALLER_PID": "99",
		"POOLD_CALLER_COMM": "poolctl", "POOLD_CALLER_UNIT": "session-3.scope",
	}
	if !maps.Equal(gotFields, want) {
		t.Errorf("fields %v\nwant %v", gotFields, want)
	}
	wantMsg := `WRN d-bus call refused op=scale args="workers=8" caller.uid=65534 caller.user=nobody caller.pid=99 caller.comm=poolctl caller.unit=session-3.scope caller.sender=:1.7 err="not permitted"`
	if gotMsg != wantMsg || gotPri != journal.PriWarning {
		t.Errorf("entry %d %q, want %d %q", gotPri, gotMsg, journal.PriWarning, wantMsg)
	}
	if lines := logs.Take(); len(lines) != 0 {
		t.Errorf("also logged %q, want the journal entry alone", lines)
	}
}

// A record journald does not take is logged as any line; without the
// journal it is logged at once.
func TestAuditRecordFallsBackToTheLog(t *testing.T) {
	for _, inJournal := range []bool{true, false} {
		var logs logtest.Buffer
		a := auditor{log: logging.New(&logs, logging.Plain, slog.LevelInfo), journal: inJournal,
			send: func(string, journal.Priority, map[string]string) error { return errors.New("journald gone") }}
		a.Audit(refusedScale)
		if lines := logs.Take(); len(lines) != 1 || !strings.Contains(lines[0], `WRN d-bus call refused op=scale args="workers=8" caller.uid=65534`) {
			t.Errorf("journal %v: logged %q, want the record", inJournal, lines)
		}
	}
}
