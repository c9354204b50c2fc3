package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Tunables are the options a running pool takes new values of (a reload
// of poold's configuration): each applies from the loop's next use of it,
// the ready timeout to workers started from then on, MaxUnavailable to the
// next rollout, Backoff to the next failure, Health to the next check (the
// request and age limits to workers started from then on). Health's
// Watchdog and Memory keep the pool's values: they are the workers' spec
// too (WATCHDOG_USEC, memory.high), which only a restart changes.
type Tunables struct {
	ReadyTimeout   time.Duration
	MaxUnavailable int
	Backoff        Backoff
	Health         Health
}

type retuneRequest struct {
	t     Tunables
	reply chan error
}

// Retune gives the pool new Tunables; invalid ones are refused with
// ErrInvalidArgument, and the pool keeps its own.
func (s *Supervisor) Retune(ctx context.Context, t Tunables) error {
	req := retuneRequest{t: t, reply: make(chan error, 1)}
	return s.request(ctx, req, req.reply)
}

func (s *Supervisor) onRetune(req retuneRequest) {
	t := req.t
	var errs []error
	if t.ReadyTimeout <= 0 {
		errs = append(errs, fmt.Errorf("ready-timeout %v: want a positive duration", t.ReadyTimeout))
	}
	if t.MaxUnavailable < 0 {
		errs = append(errs, fmt.Errorf("max-unavailable %d: want 0 or more", t.MaxUnavailable))
	}
	if err := t.Backoff.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		req.reply <- fmt.Errorf("%w: %w", ErrInvalidArgument, err)
		return
	}
	t.Health.Watchdog, t.Health.Memory, t.Health.Every = s.opts.Health.Watchdog, s.opts.Health.Memory, s.opts.Health.Every
	was := Tunables{ReadyTimeout: s.opts.ReadyTimeout, MaxUnavailable: s.opts.MaxUnavailable, Backoff: s.opts.Backoff, Health: s.opts.Health}
	if t != was {
		s.opts.ReadyTimeout, s.opts.MaxUnavailable, s.opts.Backoff, s.opts.Health = t.ReadyTimeout, t.MaxUnavailable, t.Backoff, t.Health
		s.scheduleHealth()
		h := t.Health
		s.log.Info("options changed", "ready_timeout", t.ReadyTimeout, "max_unavailable", t.MaxUnavailable,
			"restart_delay", t.Backoff.Initial, "restart_delay_max", t.Backoff.Max, "stable_after", t.Backoff.StableAfter,
			"recycle_memory_for", h.MemoryFor, "recycle_loop_delay", h.LoopDelay, "recycle_loop_delay_for", h.LoopDelayFor,
			"recycle_requests", h.Requests, "recycle_age", h.Age)
	}
	req.reply <- nil
}

// scheduleHealth starts the health checks when Health turned on, and
// stops them when it turned off.
func (s *Supervisor) scheduleHealth() {
	switch on := s.opts.Health.enabled(); {
	case on && s.nextHealth.IsZero():
		s.nextHealth = s.clock.Now().Add(s.opts.Health.Every)
	case !on:
		s.nextHealth = time.Time{}
	}
}
