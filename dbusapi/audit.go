package dbusapi

import (
	"context"
	"log/slog"

	"github.com/poold/poold/internal/enum"
)

// Auditor records every changing call: who asked what, and whether it was
// refused, carried out or failed. cmd/poold's also sends it to the journal
// with fields of its own.
type Auditor interface {
	Audit(Call)
}

// Outcome is where a changing call stands when it is recorded.
type Outcome int

const (
	// Accepted: the caller may change the pool; the call is carried out.
	Accepted Outcome = iota + 1
	// Refused: the caller may not, or could not be identified.
	Refused
	// Failed: accepted, then it failed (Call.Err says why).
	Failed
)

var outcomes = enum.Names[Outcome]{What: "outcome", Type: "Outcome", Names: []string{"accepted", "refused", "failed"}}

func (o Outcome) String() string { return outcomes.String(o) }

// Call is one record of the audit log.
type Call struct {
	Op      string // "scale", "reload", "restart worker", ...
	Args    string // its arguments, "workers=8"; "" for none
	Caller  Caller
	Outcome Outcome
	Err     error // why it was refused or failed
}

// Level is the record's log level: refusals are warnings.
func (c Call) Level() slog.Level {
	if c.Outcome == Refused {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// Message is the record's log message, "d-bus call accepted" and so on.
func (c Call) Message() string { return "d-bus call " + c.Outcome.String() }

// Attrs are the record's log attributes: op, args, the caller group, err.
func (c Call) Attrs() []slog.Attr {
	attrs := []slog.Attr{slog.String("op", c.Op)}
	if c.Args != "" {
		attrs = append(attrs, slog.String("args", c.Args))
	}
	attrs = append(attrs, c.Caller.LogAttr())
	if c.Err != nil {
		attrs = append(attrs, slog.String("err", c.Err.Error()))
	}
	return attrs
}

// LogAuditor writes the audit log to a logger.
type LogAuditor struct{ Log *slog.Logger }

func (a LogAuditor) Audit(c Call) {
	a.Log.LogAttrs(context.Background(), c.Level(), c.Message(), c.Attrs()...)
}
