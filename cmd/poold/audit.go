package main

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/logging"
)

// auditor writes the D-Bus audit log (who changed the pool) as poold's
// log lines. When poold's log goes to the journal, each record is sent as
// an entry of its own instead, with the same text and fields that can be
// matched (journalctl POOLD_OP=scale POOLD_CALLER_UID=1000); if journald
// does not take it, it goes to the log as any line.
//
// The entries have no POOLD_POOL: that field marks the workers' lines,
// which poolctl logs shows; the unit (_SYSTEMD_UNIT) names the pool.
type auditor struct {
	log     *slog.Logger
	journal bool // poold's stderr is the journal
	send    func(message string, priority journal.Priority, fields map[string]string) error
}

func newAuditor(log *slog.Logger) auditor {
	return auditor{log: log, journal: logging.Detect() == logging.Journal, send: journal.Send}
}

func (a auditor) Audit(c dbusapi.Call) {
	ctx := context.Background()
	if !a.log.Enabled(ctx, c.Level()) {
		return
	}
	if a.journal {
		var line bytes.Buffer
		logging.New(&line, logging.Journal, c.Level()).LogAttrs(ctx, c.Level(), c.Message(), c.Attrs()...)
		if err := a.send(strings.TrimSuffix(line.String(), "\n"), priority(c.Level()), a.fields(c)); err == nil {
			return
		}
	}
	a.log.LogAttrs(ctx, c.Level(), c.Message(), c.Attrs()...)
}

// fields are a record's journal fields, those known of the caller among
// them.
func (a auditor) fields(c dbusapi.Call) map[string]string {
	f := map[string]string{
		"SYSLOG_IDENTIFIER": "poold", "POOLD_OP": c.Op, "POOLD_OUTCOME": c.Outcome.String(), "POOLD_CALLER_SENDER": c.Caller.Sender,
	}
	set := func(key, value string) {
		if value != "" {
			f[key] = value
		}
	}
	set("POOLD_ARGS", c.Args)
	if c.Err != nil {
		set("POOLD_ERROR", c.Err.Error())
	}
	if c.Caller.HasUID {
		set("POOLD_CALLER_UID", strconv.FormatUint(uint64(c.Caller.UID), 10))
	}
	if c.Caller.PID != 0 {
		set("POOLD_CALLER_PID", strconv.FormatUint(uint64(c.Caller.PID), 10))
	}
	set("POOLD_CALLER_USER", c.Caller.User)
	set("POOLD_CALLER_COMM", c.Caller.Command)
	set("POOLD_CALLER_UNIT", c.Caller.Unit)
	if c.Caller.SSH {
		f["POOLD_CALLER_SSH"] = "1"
	}
	return f
}

// priority is the journal's priority for a log level.
func priority(l slog.Level) journal.Priority {
	switch {
	case l >= slog.LevelError:
		return journal.PriErr
	case l >= slog.LevelWarn:
		return journal.PriWarning
	case l >= slog.LevelInfo:
		return journal.PriInfo
	}
	return journal.PriDebug
}
