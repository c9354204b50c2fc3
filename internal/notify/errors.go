package notify

import (
	"errors"
	"fmt"
)

// Sentinels wrapped by ParseError.Err; match them with errors.Is.
var (
	// ErrTooLong: the datagram is longer than MaxDatagram; nothing of it is used.
	ErrTooLong = errors.New("datagram too long")
	// ErrNoAssignment: a line has no '='.
	ErrNoAssignment = errors.New("not a KEY=VALUE assignment")
	// ErrEmptyKey: a line starts with '='.
	ErrEmptyKey = errors.New("empty key")
	// ErrInvalidKey: a key is not valid UTF-8.
	ErrInvalidKey = errors.New("invalid key")
	// ErrNUL: a line holds a NUL byte.
	ErrNUL = errors.New("NUL byte")
	// ErrInvalidUTF8: STATUS= is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrInvalidValue: a known key has a value it does not accept.
	ErrInvalidValue = errors.New("invalid value")
)

// ErrNoPath is returned by Listen and Send for an empty socket path.
var ErrNoPath = errors.New("no socket path")

// ParseError describes one rejected assignment (Line > 0) or a rejected
// datagram as a whole (Line == 0). Line numbers start at 1 and count '\n'.
type ParseError struct {
	Line int
	Key  string // empty when the line has no usable key
	Err  error  // wraps one of the sentinels above
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "notify: " + e.Err.Error()
	}
	if e.Key == "" {
		return fmt.Sprintf("notify: line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("notify: line %d (%s): %v", e.Line, e.Key, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ParseErrors lists the *ParseError values inside an error returned by
// Parse or found in Datagram.Err (one, or several joined by errors.Join).
func ParseErrors(err error) []*ParseError {
	var out []*ParseError
	if pe, ok := err.(*ParseError); ok {
		return append(out, pe)
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, ParseErrors(e)...)
		}
	}
	return out
}

// invalid builds the error for a rejected value, quoting a bounded prefix.
func invalid(v string) error {
	const max = 64
	if len(v) > max {
		v = v[:max] + "..."
	}
	return fmt.Errorf("%w %q", ErrInvalidValue, v)
}
