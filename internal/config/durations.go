package config

import (
	"fmt"
	"time"
)

// MinWorkerWatchdog is the shortest --worker-watchdog: a worker must send
// a heartbeat within it, and gets it in whole microseconds (WATCHDOG_USEC,
// which libsystemd reads as invalid when 0).
const MinWorkerWatchdog = time.Millisecond

// durationRule is what a duration flag accepts.
type durationRule struct {
	flag string
	v    time.Duration
	// offAt0: 0 turns the feature off (the default), so that the command
	// line can turn off what a config file turned on; else 0 is an error.
	offAt0 bool
	min    time.Duration // the shortest positive value, beyond 1ns
}

// checkDurations checks every duration flag: each must be positive, but
// the ones that are off by default may also be 0.
func (c Config) checkDurations(src sources) []error {
	var errs []error
	for _, d := range []durationRule{
		{flag: "ready-timeout", v: c.ReadyTimeout}, {flag: "stop-timeout", v: c.StopTimeout},
		{flag: "ready-delay", v: c.ReadyDelay}, {flag: "restart-delay", v: c.Backoff.Initial},
		{flag: "restart-delay-max", v: c.Backoff.Max}, {flag: "stable-after", v: c.Backoff.StableAfter},
		{flag: "recycle-memory-for", v: c.Health.MemoryFor}, {flag: "recycle-loop-delay-for", v: c.Health.LoopDelayFor},
		{flag: "worker-watchdog", v: c.Health.Watchdog, offAt0: true, min: MinWorkerWatchdog},
		{flag: "recycle-loop-delay", v: c.Health.LoopDelay, offAt0: true},
		{flag: "recycle-age", v: c.Health.Age, offAt0: true},
	} {
		if err := d.check(); err != nil {
			errs = append(errs, src.wrap(d.flag, err))
		}
	}
	return errs
}

func (d durationRule) check() error {
	off := ""
	if d.offAt0 {
		off = ", or 0 for off"
	}
	switch {
	case d.v == 0 && d.offAt0:
		return nil
	case d.v <= 0:
		return fmt.Errorf("--%s %v: want a positive duration such as 500ms or 30s%s", d.flag, d.v, off)
	case d.v < d.min:
		return fmt.Errorf("--%s %v: want at least %v%s", d.flag, d.v, d.min, off)
	}
	return nil
}
