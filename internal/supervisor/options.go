package supervisor

import (
	"errors"
	"fmt"
	"time"

	"github.com/poold/poold/internal/mode"
)

// ReadyMode says what makes a starting worker ready (mode.Ready).
type ReadyMode = mode.Ready

const (
	ReadyAuto      = mode.ReadyAuto
	ReadyNotify    = mode.ReadyNotify
	ReadyListening = mode.ReadyListening
	ReadyDelay     = mode.ReadyDelay
)

// ParseReadyMode parses a --ready value.
func ParseReadyMode(s string) (ReadyMode, error) { return mode.ParseReady(s) }

// Options configure a pool. Zero durations are replaced by defaults in New.
type Options struct {
	Name       string
	Workers    int // workers at the start; Scale moves the live target, not this
	MaxWorkers int // upper bound for Scale; 0 means max(64, Workers)
	MinReady   int // ready workers needed before telling systemd READY=1; 0 means Workers
	Ready      ReadyMode
	ReadyDelay time.Duration // ReadyDelay mode only
	// ReadyTimeout bounds how long a worker may take to become ready before
	// it is killed and replaced.
	ReadyTimeout time.Duration
	// StopTimeout bounds a graceful stop; then the worker gets SIGKILL.
	StopTimeout time.Duration
	Backoff     Backoff
	// CrashLoopAfter is the number of consecutive failed starts of a slot
	// after which the slot is reported as crash-looping.
	CrashLoopAfter int
	// MaxUnavailable is how many slots a rollout (Reload, RestartWorker) may
	// take out of service at once. 0, the default, surges instead: one slot
	// at a time, the new worker starts beside the old one, and the ready
	// count never drops. K > 0 replaces up to K slots at once, stopping each
	// old worker before its replacement starts (no extra process), and never
	// leaves fewer than Workers-K ready. It must be below Workers; after a
	// Scale it applies as at most the new count minus one.
	MaxUnavailable int
	// Health says when ready workers are recycled; Memory reads their
	// memory for Health.Memory.
	Health Health
	Memory MemoryReader
}

// Defaults fills zero fields with the documented defaults.
func (o Options) withDefaults() Options {
	if o.Ready == 0 {
		o.Ready = ReadyAuto
	}
	if o.ReadyDelay == 0 {
		o.ReadyDelay = time.Second
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = 30 * time.Second
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = max(64, o.Workers)
	}
	if o.MinReady == 0 {
		o.MinReady = o.Workers
	}
	if o.CrashLoopAfter == 0 {
		o.CrashLoopAfter = 5
	}
	o.Backoff = o.Backoff.withDefaults()
	o.Health = o.Health.withDefaults()
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers %d: want at least 1", o.Workers))
	}
	if o.Workers > o.MaxWorkers {
		errs = append(errs, fmt.Errorf("workers %d: above the maximum of %d", o.Workers, o.MaxWorkers))
	}
	if o.MaxUnavailable < 0 || o.MaxUnavailable > 0 && o.MaxUnavailable >= o.Workers {
		errs = append(errs, fmt.Errorf("max-unavailable %d: want 0..%d (below the worker count: one worker must stay ready)", o.MaxUnavailable, max(o.Workers-1, 0)))
	}
	if o.MinReady < 0 || o.MinReady > o.Workers {
		errs = append(errs, fmt.Errorf("min-ready %d: want 1..%d (the worker count)", o.MinReady, o.Workers))
	}
	for name, d := range map[string]time.Duration{
		"ready-delay": o.ReadyDelay, "ready-timeout": o.ReadyTimeout, "stop-timeout": o.StopTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v: want a positive duration", name, d))
		}
	}
	if err := o.Backoff.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
