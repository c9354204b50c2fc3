package supervisor

import (
	"errors"
	"fmt"
	"time"

	"github.com/poold/poold/internal/config"
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

// Options configure a pool with values package config filled and
// validated: New fills only the loop's own knobs (CrashLoopAfter,
// Health.Every) and rejects options that break an invariant, which is a
// programming error, not a user's.
type Options struct {
	Name       string
	Workers    int // workers at the start; Scale moves the live target, not this
	MaxWorkers int // upper bound for Scale, at least Workers
	MinReady   int // ready workers needed before telling systemd READY=1; 1..Workers
	Ready      ReadyMode
	ReadyDelay time.Duration // ReadyDelay mode only
	// ReadyTimeout bounds how long a worker may take to become ready before
	// it is killed and replaced.
	ReadyTimeout time.Duration
	// StopTimeout bounds a graceful stop; then the worker gets SIGKILL.
	StopTimeout time.Duration
	Backoff     Backoff
	// CrashLoopAfter is the number of consecutive failed starts of a slot
	// after which the slot is reported as crash-looping; 0 means 5.
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
	// Spec is what the first generation's workers are made from; a
	// ReloadWith brings the next one.
	Spec config.WorkerSpec
}

// withLoopDefaults fills the knobs no flag sets.
func (o Options) withLoopDefaults() Options {
	if o.CrashLoopAfter == 0 {
		o.CrashLoopAfter = 5
	}
	o.Health = o.Health.withDefaults()
	return o
}

// validate checks the invariants the loop relies on.
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
	if o.MinReady < 1 || o.MinReady > o.Workers {
		errs = append(errs, fmt.Errorf("min-ready %d: want 1..%d (the worker count)", o.MinReady, o.Workers))
	}
	if o.Ready < ReadyAuto || o.Ready > ReadyDelay {
		errs = append(errs, fmt.Errorf("ready mode %v: unknown", o.Ready))
	}
	for name, d := range map[string]time.Duration{
		"ready-delay": o.ReadyDelay, "ready-timeout": o.ReadyTimeout, "stop-timeout": o.StopTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s %v: want a positive duration", name, d))
		}
	}
	if err := o.Backoff.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
