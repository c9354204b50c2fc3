package notify

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
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

// ParseError describes the first rejected assignment of a datagram (Line
// > 0) or a rejected datagram as a whole (Line == 0). Line numbers start at
// 1 and count '\n'. The assignments rejected after the first are only
// counted, in Others: a datagram of a thousand bad lines costs no more to
// report, or to log, than one.
type ParseError struct {
	Line   int
	Key    string // empty when the line has no usable key; cut to maxShown bytes
	Err    error  // wraps one of the sentinels above
	Others int    // rejected assignments after this one
}

func (e *ParseError) Error() string {
	var s string
	switch {
	case e.Line == 0:
		s = "notify: " + e.Err.Error()
	case e.Key == "":
		s = fmt.Sprintf("notify: line %d: %v", e.Line, e.Err)
	default:
		s = fmt.Sprintf("notify: line %d (%s): %v", e.Line, e.Key, e.Err)
	}
	if e.Others > 0 {
		s += fmt.Sprintf(" (and %d more bad lines)", e.Others)
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxShown bounds the bytes of a worker's key or value an error repeats.
const maxShown = 64

// shown is s cut to maxShown bytes, at a rune boundary, and copied: an
// error must not keep the whole datagram alive.
func shown(s string) string {
	if len(s) <= maxShown {
		return strings.Clone(s)
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..." // a new string
}
