package logging

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/poold/poold/internal/clock"
)

// The warnings poold logs about one source and kind: WarnBurst every
// WarnEvery, then a count.
const (
	WarnBurst = 5
	WarnEvery = 10 * time.Second
)

// Limiter lets a few warnings of each key through in an interval and counts
// the rest, so that a worker repeating a mistake in a loop costs a few log
// lines an interval instead of one per mistake. When an interval in which
// warnings were suppressed ends, one line says how many.
//
// A key names a source and a kind of warning: a worker and "malformed
// notify message", say. A key's interval starts with its first warning; the
// key is forgotten when the interval ends, so the limiter holds only the
// keys warned about in the last interval.
type Limiter struct {
	burst int
	every time.Duration
	clock clock.Clock

	mu   sync.Mutex
	keys map[any]*window
}

// window is one key's current interval.
type window struct {
	passed, suppressed int
	// The logger and message of the last suppressed warning, for the
	// summary line.
	log *slog.Logger
	msg string
}

// NewLimiter passes burst warnings of a key every interval.
func NewLimiter(burst int, every time.Duration, c clock.Clock) *Limiter {
	return &Limiter{burst: burst, every: every, clock: c, keys: make(map[any]*window)}
}

// Warn logs msg and args at warn level to log, unless key has had burst
// warnings in its current interval: then it only counts this one. key must
// be comparable. The summary line, "msg: N more suppressed in INTERVAL",
// goes to the log of a suppressed warning without its args: put what names
// the source (slot, pid) in log with log.With, and this warning's details
// in args.
func (l *Limiter) Warn(log *slog.Logger, key any, msg string, args ...any) {
	l.mu.Lock()
	w := l.keys[key]
	if w == nil {
		w = &window{}
		l.keys[key] = w
		l.clock.AfterFunc(l.every, func() { l.end(key, w) })
	}
	pass := w.passed < l.burst
	if pass {
		w.passed++
	} else {
		w.suppressed++
		w.log, w.msg = log, msg
	}
	l.mu.Unlock()
	if pass {
		log.Warn(msg, args...)
	}
}

// end closes key's interval w and reports what it suppressed.
func (l *Limiter) end(key any, w *window) {
	l.mu.Lock()
	if l.keys[key] == w {
		delete(l.keys, key)
	}
	n, log, msg := w.suppressed, w.log, w.msg
	l.mu.Unlock()
	if n > 0 {
		log.Warn(fmt.Sprintf("%s: %d more suppressed in %v", msg, n, l.every))
	}
}
