package notify

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse parses a datagram: assignments KEY=VALUE separated by '\n' (or '\r',
// which systemd's manager also splits on). Empty lines are skipped.
//
// A bad assignment (no '=', an empty or non-UTF-8 key, a NUL byte, a value a
// known key does not take, STATUS= that is not UTF-8) is skipped: the
// returned Message still holds every valid assignment, because systemd
// likewise ignores bad assignments one by one, and a worker that sends
// READY=1 with a bad STATUS= is still ready. The error is a *ParseError
// naming the first bad line and counting the others. A datagram over
// MaxDatagram bytes is rejected whole (Line 0, ErrTooLong) with an empty
// Message, as systemd drops it: over the socket it arrives cut, and its cut
// last line could report a wrong value.
func Parse(b []byte) (Message, error) {
	var m Message
	if len(b) > MaxDatagram {
		return m, tooLong()
	}
	var first *ParseError
	var seen uint // bits of the valued keys assigned so far
	line := 0
	for text := range strings.SplitSeq(string(b), "\n") {
		line++
		for a := range strings.SplitSeq(text, "\r") {
			key, v, err := assign(&m, &seen, a)
			switch {
			case err == nil:
			case first == nil:
				first = &ParseError{Line: line, Key: shown(key), Err: detail(err, v)}
			default:
				first.Others++
			}
		}
	}
	if first == nil {
		return m, nil
	}
	return m, first
}

func tooLong() error {
	return &ParseError{Err: fmt.Errorf("%w (over %d bytes)", ErrTooLong, MaxDatagram)}
}

// detail adds the rejected value, quoted and cut, to ErrInvalidValue.
func detail(err error, v string) error {
	if err != ErrInvalidValue {
		return err
	}
	return fmt.Errorf("%w %q", ErrInvalidValue, shown(v))
}

// assign applies one assignment to m and returns its key, as far as it is
// usable in an error, and value. Only the first assignment of a valued key
// counts. The error is one of the sentinels, so that a rejected line costs
// no allocation.
func assign(m *Message, seen *uint, a string) (key, v string, err error) {
	if a == "" {
		return "", "", nil
	}
	key, v, ok := strings.Cut(a, "=")
	switch {
	case !ok:
		return "", "", ErrNoAssignment
	case key == "":
		return "", "", ErrEmptyKey
	case strings.IndexByte(key, 0) >= 0 || !utf8.ValidString(key):
		return "", "", ErrInvalidKey
	case strings.IndexByte(v, 0) >= 0:
		return key, "", ErrNUL
	}
	f, known := fields[key]
	if !known {
		m.Unknown = append(m.Unknown, key)
		return key, v, nil
	}
	if f.once != 0 {
		if *seen&f.once != 0 {
			return key, v, nil
		}
		*seen |= f.once
	}
	return key, v, f.set(m, v)
}

// field is how one known key is applied. A flag (once 0) counts if any line
// sets it; a valued key (once, its own bit) only on its first line, as
// systemd's manager looks a valued key up with strv_find_startswith.
type field struct {
	once uint
	set  func(m *Message, v string) error
}

var fields = map[string]field{
	"READY":     {set: flag(func(m *Message) { m.Ready = true })},
	"RELOADING": {set: flag(func(m *Message) { m.Reloading = true })},
	"STOPPING":  {set: flag(func(m *Message) { m.Stopping = true })},
	"BARRIER":   {set: flag(func(m *Message) { m.Barrier = true })},
	"FDSTORE":   {set: flag(func(m *Message) { m.FDStore = true })},
	"WATCHDOG":  {set: setWatchdog},
	"STATUS":    {once: 1 << 0, set: setStatus},
	"MAINPID":   {once: 1 << 1, set: setMainPID},
	"ERRNO":     {once: 1 << 2, set: setErrno},
	"WATCHDOG_USEC": {once: 1 << 3, set: func(m *Message, v string) (err error) {
		m.WatchdogUSec, err = parseUSec(v)
		m.HasWatchdogUSec = err == nil
		return err
	}},
	"EXTEND_TIMEOUT_USEC": {once: 1 << 4, set: func(m *Message, v string) (err error) {
		m.ExtendTimeout, err = parseUSec(v)
		return err
	}},
}

// flag accepts only the value "1", like systemd's strv_find(tags, "READY=1").
func flag(set func(*Message)) func(*Message, string) error {
	return func(m *Message, v string) error {
		if v != "1" {
			return ErrInvalidValue
		}
		set(m)
		return nil
	}
}

func setWatchdog(m *Message, v string) error {
	switch v {
	case "1":
		m.Watchdog = true
	case "trigger":
		m.WatchdogTrigger = true
	default:
		return ErrInvalidValue
	}
	return nil
}

func setStatus(m *Message, v string) error {
	if !utf8.ValidString(v) {
		return ErrInvalidUTF8
	}
	m.Status, m.HasStatus = v, true
	return nil
}

func setMainPID(m *Message, v string) error {
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil || n == 0 {
		return ErrInvalidValue
	}
	m.MainPID = int(n)
	return nil
}

func setErrno(m *Message, v string) error {
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil {
		return ErrInvalidValue
	}
	m.Errno, m.HasErrno = int(n), true
	return nil
}

// maxUSec is the largest microsecond count a time.Duration holds. Larger
// values, up to systemd's "infinity" (2^64-1), are clamped to it.
const maxUSec = math.MaxInt64 / int64(time.Microsecond)

// parseUSec parses an unsigned decimal count of microseconds (digits only:
// no sign, no spaces).
func parseUSec(v string) (time.Duration, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, ErrInvalidValue
	}
	if n > uint64(maxUSec) {
		n = uint64(maxUSec)
	}
	return time.Duration(n) * time.Microsecond, nil
}
