package notify

import (
	"errors"
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
// known key does not take, STATUS= that is not UTF-8) is reported as a
// *ParseError naming its line and key, and skipped: the returned Message
// still holds every valid assignment, because systemd likewise ignores bad
// assignments one by one, and a worker that sends READY=1 with a bad STATUS=
// is still ready. Several bad lines give their *ParseErrors joined with
// errors.Join (see ParseErrors). A datagram over MaxDatagram bytes is
// rejected whole (Line 0, ErrTooLong) with an empty Message, as systemd
// drops it: over the socket it arrives cut, and its cut last line could
// report a wrong value.
func Parse(b []byte) (Message, error) {
	var m Message
	if len(b) > MaxDatagram {
		return m, tooLong()
	}
	var errs []error
	seen := make(map[string]bool)
	for i, line := range strings.Split(string(b), "\n") {
		for _, a := range strings.Split(line, "\r") {
			if key, err := assign(&m, seen, a); err != nil {
				errs = append(errs, &ParseError{Line: i + 1, Key: key, Err: err})
			}
		}
	}
	if len(errs) == 1 {
		return m, errs[0]
	}
	return m, errors.Join(errs...)
}

func tooLong() error {
	return &ParseError{Err: fmt.Errorf("%w (over %d bytes)", ErrTooLong, MaxDatagram)}
}

// assign applies one assignment to m and returns its key as far as it is
// usable in an error. Only the first assignment of a valued key counts.
func assign(m *Message, seen map[string]bool, a string) (string, error) {
	if a == "" {
		return "", nil
	}
	key, v, ok := strings.Cut(a, "=")
	switch {
	case !ok:
		return "", ErrNoAssignment
	case key == "":
		return "", ErrEmptyKey
	case strings.IndexByte(key, 0) >= 0 || !utf8.ValidString(key):
		return "", ErrInvalidKey
	case strings.IndexByte(v, 0) >= 0:
		return key, ErrNUL
	}
	f, known := fields[key]
	if !known {
		m.Unknown = append(m.Unknown, key)
		return key, nil
	}
	if f.once {
		if seen[key] {
			return key, nil
		}
		seen[key] = true
	}
	return key, f.set(m, v)
}

// field is how one known key is applied. A flag (once false) counts if any
// line sets it; a valued key (once true) only on its first line, as
// systemd's manager looks a valued key up with strv_find_startswith.
type field struct {
	once bool
	set  func(m *Message, v string) error
}

var fields = map[string]field{
	"READY":     {set: flag(func(m *Message) { m.Ready = true })},
	"RELOADING": {set: flag(func(m *Message) { m.Reloading = true })},
	"STOPPING":  {set: flag(func(m *Message) { m.Stopping = true })},
	"BARRIER":   {set: flag(func(m *Message) { m.Barrier = true })},
	"FDSTORE":   {set: flag(func(m *Message) { m.FDStore = true })},
	"WATCHDOG":  {set: setWatchdog},
	"STATUS":    {once: true, set: setStatus},
	"MAINPID":   {once: true, set: setMainPID},
	"ERRNO":     {once: true, set: setErrno},
	"WATCHDOG_USEC": {once: true, set: func(m *Message, v string) (err error) {
		m.WatchdogUSec, err = parseUSec(v)
		m.HasWatchdogUSec = err == nil
		return err
	}},
	"EXTEND_TIMEOUT_USEC": {once: true, set: func(m *Message, v string) (err error) {
		m.ExtendTimeout, err = parseUSec(v)
		return err
	}},
}

// flag accepts only the value "1", like systemd's strv_find(tags, "READY=1").
func flag(set func(*Message)) func(*Message, string) error {
	return func(m *Message, v string) error {
		if v != "1" {
			return invalid(v)
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
		return invalid(v)
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
		return invalid(v)
	}
	m.MainPID = int(n)
	return nil
}

func setErrno(m *Message, v string) error {
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil {
		return invalid(v)
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
		return 0, invalid(v)
	}
	if n > uint64(maxUSec) {
		n = uint64(maxUSec)
	}
	return time.Duration(n) * time.Microsecond, nil
}
