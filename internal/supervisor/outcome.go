package supervisor

import (
	"errors"
	"fmt"
)

// ReloadError says why a rollout stopped: a Reload, or a RestartWorker when
// Restart is set. Slots the rollout had not yet taken on keep their old
// workers, which go on serving.
type ReloadError struct {
	Slot       int
	Generation int // of the new workers
	Reason     string
	// Restart is set when RestartWorker, not Reload, started the rollout.
	Restart bool
	// OldStopped is set when the slot's old worker had already been stopped
	// (MaxUnavailable > 0): the slot restarts with backoff, like after a crash.
	OldStopped bool
}

func (e *ReloadError) Error() string {
	var what, then string
	switch {
	case e.Restart && e.OldStopped:
		what, then = fmt.Sprintf("restart of slot %d failed", e.Slot), "the slot restarts with backoff"
	case e.Restart:
		what, then = fmt.Sprintf("restart of slot %d failed", e.Slot), "the old worker keeps serving"
	case e.OldStopped:
		what = fmt.Sprintf("reload to generation %d stopped at slot %d", e.Generation, e.Slot)
		then = "the slot restarts with backoff; the slots not yet replaced keep their old workers"
	default:
		what = fmt.Sprintf("reload to generation %d stopped at slot %d", e.Generation, e.Slot)
		then = "the old workers keep serving"
	}
	return what + ": " + e.Reason + "; " + then
}

func (r *rollout) failure(slot int, reason string, oldStopped bool) *ReloadError {
	return &ReloadError{Slot: slot, Generation: r.generation, Reason: reason,
		Restart: r.kind == restartRollout, OldStopped: oldStopped}
}

// budgetError ends a stop-first rollout that cannot go on: too few workers
// are ready outside it, and none is on its way to being ready.
func (s *Supervisor) budgetError(r *rollout) *ReloadError {
	ready, slot := s.readyCount(), s.workers[r.todo[0]].slot
	return r.failure(slot, fmt.Sprintf("%d of %d workers ready: stopping slot %d would leave fewer than %d (max unavailable %d)",
		ready, s.opts.Workers, slot, s.opts.Workers-r.width, r.width), false)
}

// recovering reports whether a worker outside the rollout may soon become
// ready and make room for it: one is starting, or an empty slot waits out a
// backoff without crash-looping.
func (s *Supervisor) recovering() bool {
	occupied := s.occupiedSlots()
	for _, w := range s.workers {
		if w.state == Starting {
			return true
		}
	}
	for slot := range s.opts.Workers {
		if !occupied[slot] && !s.slotState(slot).crashLoop {
			return true
		}
	}
	return false
}

// finishRollout ends the rollout and answers its caller.
func (s *Supervisor) finishRollout(err error) {
	r := s.rollout
	s.rollout = nil
	switch {
	case r.kind == reloadRollout:
		s.endReload(r, err)
	case r.recycle != "" && err != nil:
		// A replacement that cannot start (a broken deploy) must not be
		// retried every check.
		s.nextRecycle = s.clock.Now().Add(s.opts.Backoff.Max)
		s.log.Error("recycle failed", "slot", r.slot, "err", err, "next_recycle_in", s.opts.Backoff.Max)
	case r.recycle != "":
		s.log.Info("recycle complete", "slot", r.slot)
	case err != nil:
		s.log.Error("restart failed", "slot", r.slot, "err", err)
	default:
		s.log.Info("restart complete", "slot", r.slot)
	}
	r.reply <- rolloutResult{generation: s.generation, err: err}
	if req := s.pendingReload; req != nil {
		s.pendingReload = nil
		s.onReload(*req)
	}
}

func (s *Supervisor) endReload(r *rollout, err error) {
	s.reloadFailed = ""
	s.counters.Reloads++
	s.counters.LastReload = s.clock.Now().Sub(r.started)
	if err != nil {
		s.counters.ReloadsFailed++
	}
	if err != nil {
		s.log.Error("reload failed", "generation", r.generation, "replaced", r.replaced, "err", err)
		var rerr *ReloadError
		if errors.As(err, &rerr) {
			s.reloadFailed = fmt.Sprintf("last reload failed at slot %d", rerr.Slot)
		}
	} else {
		s.log.Info("reload complete", "generation", r.generation, "replaced", r.replaced)
	}
	// systemd expects READY=1 after RELOADING=1 either way: the pool serves.
	s.toldReady = false
	s.lastSummary = ""
}
