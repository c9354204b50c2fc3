package mode

import "github.com/poold/poold/internal/enum"

// Ready says what makes a starting worker ready (--ready).
type Ready int

const (
	// ReadyAuto accepts READY=1 or the listening probe, whichever comes first.
	ReadyAuto Ready = iota + 1
	// ReadyNotify accepts only READY=1 from the worker.
	ReadyNotify
	// ReadyListening accepts only the listening probe.
	ReadyListening
	// ReadyDelay declares a worker ready once it has run for its ready delay.
	ReadyDelay
)

var readyModes = enum.Names[Ready]{What: "ready mode", Type: "ReadyMode", Names: []string{"auto", "notify", "listening", "delay"}}

func (m Ready) String() string { return readyModes.String(m) }

// ParseReady parses a --ready value.
func ParseReady(s string) (Ready, error) { return readyModes.Parse(s) }

// Awaited is what a starting worker waits for in this mode, for messages.
func (m Ready) Awaited() string {
	switch m {
	case ReadyNotify:
		return "READY=1"
	case ReadyListening:
		return "it listened on a pool socket"
	case ReadyDelay:
		return "its ready delay passed"
	}
	return "it was ready"
}

// AcceptsNotify is whether READY=1 makes a worker ready.
func (m Ready) AcceptsNotify() bool { return m == ReadyAuto || m == ReadyNotify }

// AcceptsListening is whether the listening probe makes a worker ready.
func (m Ready) AcceptsListening() bool { return m == ReadyAuto || m == ReadyListening }
