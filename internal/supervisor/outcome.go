package supervisor

import "fmt"

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
	// A reload that changed the spec rolls the slots it replaced back to
	// the Previous generation: RolledBack once every one is back,
	// RollbackFailed says why the rollback stopped too.
	Previous       int
	RolledBack     bool
	RollbackFailed string
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
	switch {
	case e.RolledBack:
		then = fmt.Sprintf("rolled back: every worker runs generation %d again", e.Previous)
	case e.RollbackFailed != "":
		then = fmt.Sprintf("the rollback to generation %d failed too (%s): workers of generation %d still run", e.Previous, e.RollbackFailed, e.Generation)
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
	ready, slot := s.readyCount(), r.todo[0].slot
	return r.failure(slot, fmt.Sprintf("%d of %d workers ready: stopping slot %d would leave fewer than %d (max unavailable %d)",
		ready, s.target, slot, s.target-r.width, r.width), false)
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
	for slot := range s.target {
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
	if err != nil {
		s.abandon(r)
	}
	if r.kind == reloadRollout && err != nil && s.rollBack(r, err) {
		return // the rollback answers
	}
	answer := err
	switch {
	case r.kind == rollbackRollout:
		answer = s.endRollback(r, err)
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
	r.reply <- rolloutResult{generation: s.generation, err: answer}
	s.forgetGenerations()
	if req := s.pendingReload; req != nil {
		s.pendingReload = nil
		s.onReload(*req)
	}
}

// abandon stops the new workers a failed rollout still starts beside old
// ones, which go on serving their slots. New workers in slots that have no
// other keep starting.
func (s *Supervisor) abandon(r *rollout) {
	for _, st := range r.steps {
		if w := st.fresh; w != nil && w.surge && w.state == Starting && s.workers[w.id] == w {
			w.surge = false
			s.stop(w, stopRequested, "not needed: the rollout failed at another slot")
		}
	}
}
