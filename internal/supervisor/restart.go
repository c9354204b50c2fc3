package supervisor

import (
	"context"
	"fmt"

	"github.com/poold/poold/internal/plural"
)

type restartRequest struct {
	slot  int
	reply chan rolloutResult
}

// RestartWorker replaces the worker of one slot the way Reload replaces each
// slot, but keeps the current generation and does not tell systemd
// RELOADING=1. With MaxUnavailable 0 the new worker starts beside the old
// one, which gets SIGTERM (and SIGKILL after the stop timeout) only once the
// new one is ready; with MaxUnavailable > 0 the old worker is stopped first,
// as a reload would.
//
// It returns nil once the new worker is ready, or a *ReloadError (Restart
// set) when it exits or times out before that: the old worker then keeps
// serving, except when it was stopped first. When the slot has no running
// worker (it waits out a crash backoff), the backoff delay is skipped, the
// slot's crash count is kept, and RestartWorker returns nil as soon as the
// new worker has been started, without waiting for it to be ready.
//
// It returns ErrInvalidArgument for a slot outside 0..target-1, ErrBusy
// while a reload or another restart runs, and ErrShuttingDown during a
// shutdown. If ctx ends first it returns ctx.Err() and the restart goes on.
func (s *Supervisor) RestartWorker(ctx context.Context, slot int) error {
	req := restartRequest{slot: slot, reply: make(chan rolloutResult, 1)}
	res, err := ask(ctx, s, req, req.reply)
	if err != nil {
		return err
	}
	return res.err
}

func (s *Supervisor) onRestart(req restartRequest) {
	if err := s.checkSlot(req.slot); err != nil {
		req.reply <- rolloutResult{err: err}
		return
	}
	if err := s.refuseRollout(); err != nil {
		req.reply <- rolloutResult{err: err}
		return
	}
	r := s.newRollout(restartRollout, req.slot, req.reply)
	if len(r.todo) == 0 {
		// Nothing runs: refill the slot now, or once a stopping worker is
		// gone, whatever its backoff says.
		r.steps = []*step{{slot: req.slot}}
	}
	s.rollout = r
	s.log.Info("restart started", "slot", req.slot, "max_unavailable", r.width)
}

// checkSlot accepts the slots of the current target.
func (s *Supervisor) checkSlot(slot int) error {
	if slot >= 0 && slot < s.target {
		return nil
	}
	if s.target == 0 {
		return fmt.Errorf("%w: slot %d: the pool is scaled to 0 workers", ErrInvalidArgument, slot)
	}
	return fmt.Errorf("%w: slot %d: want 0..%d (the pool has %s)", ErrInvalidArgument, slot, s.target-1, plural.Of(s.target, "worker"))
}
