package supervisor

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// rolloutKind says what started a rollout.
type rolloutKind int

const (
	reloadRollout  rolloutKind = iota + 1 // Reload: every slot, a new generation
	restartRollout                        // RestartWorker: one slot, same generation
	// rollbackRollout: after a reload that changed the spec failed, the
	// slots it replaced go back to the pool's generation.
	rollbackRollout
)

// rollout replaces the workers that ran in its slots when it started. With
// width 0 (MaxUnavailable 0) it surges: one slot at a time, a new worker
// starts beside the old one, and the old one is stopped only once the new
// one is ready. With width K > 0 it works stop-first on up to K slots at
// once: the old worker is stopped, the emptied slot refilled, and a slot is
// taken out only while Workers-K others stay ready.
type rollout struct {
	kind       rolloutKind
	generation int // of the new workers
	slot       int // restartRollout: the slot restarted
	width      int
	todo       []*worker // old workers not yet taken on, by slot
	steps      []*step   // slots being replaced
	replaced   int
	started    time.Time
	// recycle is why the loop itself restarts the slot; empty when
	// RestartWorker asked.
	recycle string
	// toldSystemd: RELOADING=1 was sent, and READY=1 must end the reload.
	toldSystemd bool
	reply       chan rolloutResult
	// specChanged: a reload whose spec differs from the pool's, rolled
	// back when it fails.
	specChanged bool
	// failed and cause: a rollback's failed reload and why it failed.
	failed *rollout
	cause  *ReloadError
}

// step is the replacement of one slot.
type step struct {
	slot  int
	old   *worker // nil when the slot had no running worker to replace
	fresh *worker // the new worker, once started
}

type rolloutResult struct {
	generation int
	err        error
}

// newRollout lists the running workers to replace: in every slot, or in
// slot alone for a restart.
func (s *Supervisor) newRollout(kind rolloutKind, slot int, reply chan rolloutResult) *rollout {
	gen := s.generation
	if kind == reloadRollout {
		gen = s.lastGeneration
	}
	r := &rollout{kind: kind, generation: gen, slot: slot, width: s.maxUnavailable(), reply: reply, started: s.clock.Now()}
	var old []*worker
	for _, w := range s.workers {
		if running(w) && w.slot < s.target && (kind == reloadRollout || w.slot == slot) {
			old = append(old, w)
		}
	}
	sort.Slice(old, func(i, j int) bool { return old[i].slot < old[j].slot })
	r.todo = old
	return r
}

// maxUnavailable is MaxUnavailable as it applies to the current target.
func (s *Supervisor) maxUnavailable() int {
	return max(0, min(s.opts.MaxUnavailable, s.target-1))
}

func running(w *worker) bool { return w.state == Ready || w.state == Starting }

// refuseRollout says why a rollout cannot start now, if it cannot.
func (s *Supervisor) refuseRollout() error {
	switch {
	case s.shuttingDown:
		return ErrShuttingDown
	case s.rollout != nil:
		return fmt.Errorf("%w: %s", ErrBusy, s.rollout.describe())
	case s.freezing != nil:
		return errUpgrading
	}
	return nil
}

func (r *rollout) describe() string {
	if r.recycle != "" {
		return fmt.Sprintf("a recycle of slot %d (%s) is in progress", r.slot, r.recycle)
	}
	switch r.kind {
	case restartRollout:
		return fmt.Sprintf("a restart of slot %d is in progress", r.slot)
	case rollbackRollout:
		return fmt.Sprintf("a rollback to generation %d after a failed reload is in progress", r.generation)
	}
	return fmt.Sprintf("a reload to generation %d is in progress", r.generation)
}

// advanceRollout refills the slots the rollout emptied, takes on more slots
// while its width and the ready budget allow, and ends the rollout when
// nothing is left to replace. reconcile calls it before it fills empty slots
// itself, so that a slot the rollout emptied is refilled by the rollout.
func (s *Supervisor) advanceRollout() {
	r := s.rollout
	if r == nil {
		return
	}
	s.dropGone(r)
	occupied := s.occupiedSlots()
	for _, st := range slices.Clone(r.steps) {
		if st.fresh == nil && !occupied[st.slot] && !s.refill(r, st) {
			return
		}
	}
	for r.replacing() < max(r.width, 1) {
		old := s.nextToReplace(r)
		if old == nil {
			break
		}
		if !s.beginStep(r, old) {
			return
		}
	}
	switch {
	case len(r.steps) > 0:
	case len(r.todo) == 0:
		s.finishRollout(nil)
	case !s.recovering():
		s.finishRollout(s.budgetError(r))
	}
}

// dropGone forgets the workers still to replace that have exited or are
// stopping meanwhile. A reload fills their slots at once instead, and waits
// for those new workers too, so that it does not end before every slot has
// one.
func (s *Supervisor) dropGone(r *rollout) {
	r.todo = slices.DeleteFunc(r.todo, func(w *worker) bool {
		gone := s.workers[w.id] != w || !running(w) || w.slot >= s.target
		if gone && r.kind != restartRollout && w.slot < s.target {
			r.steps = append(r.steps, &step{slot: w.slot})
		}
		return gone
	})
}

// replacing is the number of steps that take a worker out of service.
func (r *rollout) replacing() int {
	n := 0
	for _, st := range r.steps {
		if st.old != nil {
			n++
		}
	}
	return n
}

// nextToReplace takes the lowest-slot worker still to replace that the
// budget allows replacing now.
func (s *Supervisor) nextToReplace(r *rollout) *worker {
	for i, w := range r.todo {
		if r.width == 0 || w.state != Ready || s.readyCount()-1 >= s.target-r.width {
			r.todo = slices.Delete(r.todo, i, i+1)
			return w
		}
	}
	return nil
}

// beginStep starts replacing old: beside it when surging, else by stopping
// it first. It reports false when it ended the rollout.
func (s *Supervisor) beginStep(r *rollout, old *worker) bool {
	st := &step{slot: old.slot, old: old}
	r.steps = append(r.steps, st)
	if r.width > 0 {
		s.stop(old, stopRequested, r.stopReason())
		return true // refilled once it has exited
	}
	w, err := s.spawnWorker(old.slot)
	if err != nil {
		s.finishRollout(r.failure(old.slot, err.Error(), false))
		return false
	}
	w.surge = true
	st.fresh = w
	return true
}

// refill starts the new worker of a slot the rollout emptied. A failed
// spawn ends the rollout and backs the slot off like a crash. It reports
// false when it ended the rollout.
func (s *Supervisor) refill(r *rollout, st *step) bool {
	w, err := s.spawnWorker(st.slot)
	if err != nil {
		delay := s.backOff(st.slot, err.Error())
		s.log.Error("spawn worker", "slot", st.slot, "err", err, "retry_in", delay)
		s.reportCrashLoop(st.slot)
		s.finishRollout(r.failure(st.slot, err.Error(), true))
		return false
	}
	st.fresh = w
	if st.old == nil && r.kind == restartRollout {
		s.completeStep(r, st) // an empty slot restarted: done once started
	}
	return true
}

func (r *rollout) stopReason() string {
	if r.recycle != "" {
		return "recycled: " + r.recycle
	}
	switch r.kind {
	case restartRollout:
		return "restart requested"
	case rollbackRollout:
		return fmt.Sprintf("rolled back to generation %d", r.generation)
	}
	return fmt.Sprintf("replaced by generation %d", r.generation)
}

func (r *rollout) stepOf(w *worker) *step {
	for _, st := range r.steps {
		if st.fresh == w {
			return st
		}
	}
	return nil
}

func (s *Supervisor) completeStep(r *rollout, st *step) {
	r.steps = slices.DeleteFunc(r.steps, func(x *step) bool { return x == st })
	r.replaced++
}

// rolloutReady is called when a worker becomes ready: a surge step stops
// the old worker, and the slot is done.
func (s *Supervisor) rolloutReady(w *worker) {
	r := s.rollout
	if r == nil {
		return
	}
	st := r.stepOf(w)
	if st == nil {
		return
	}
	w.surge = false
	if st.old != nil && s.workers[st.old.id] == st.old {
		s.stop(st.old, stopRequested, r.stopReason())
	}
	s.completeStep(r, st)
}

// rolloutFailed is called when a worker fails to start (exit or ready
// timeout); it ends the rollout if that worker was one of its new ones.
func (s *Supervisor) rolloutFailed(w *worker, reason string) {
	r := s.rollout
	if r == nil {
		return
	}
	if st := r.stepOf(w); st != nil {
		s.finishRollout(r.failure(st.slot, reason, !w.surge))
	}
}
