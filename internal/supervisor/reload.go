package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poold/poold/internal/config"
)

type reloadRequest struct {
	spec  *config.WorkerSpec // nil: the pool's own again
	reply chan rolloutResult
}

// Reload replaces every worker with one of a new generation, and starts one
// at once in every slot that has no running worker (a slot waiting out a
// crash backoff): a reload forgets every slot's backoff, since the new code
// may be the fix. With MaxUnavailable 0 it goes slot by slot, starting each
// new worker beside the old one, and never has fewer ready workers than
// before; with K > 0 it replaces up to K slots at once, stopping each old
// worker first. Once the pool has been ready, it tells systemd RELOADING=1
// when it starts and READY=1 when it ends, whether it succeeded or failed.
//
// It returns when every slot has a ready worker of the new generation, which
// then becomes the pool's, or when the reload has failed (a *ReloadError):
// the first new worker that exits or is not ready in time ends it, so it
// ends within the ready timeout of its last new worker, plus the stop
// timeout of an old worker stopped first. It returns the generation the
// pool then has: the new one, or after a failure the one it had, although
// the slots already replaced keep their new workers (whose generation the
// next reload does not reuse). If ctx ends first it returns 0 and
// ctx.Err(), and the reload goes on. It returns ErrBusy while another
// reload or a RestartWorker runs.
//
// The new generation's workers are made from the pool's spec; ReloadWith
// brings a new one.
func (s *Supervisor) Reload(ctx context.Context) (generation int, err error) {
	return s.reload(ctx, reloadRequest{reply: make(chan rolloutResult, 1)})
}

// ReloadWith is Reload to a generation made from spec. When spec differs
// from the pool's, a failed reload does not leave the pool mixed: the
// slots already replaced are rolled back, slot by slot and readiness-gated
// like the reload, to the pool's generation, and only then does it return
// its *ReloadError (RolledBack set, or RollbackFailed saying why the
// rollback stopped too).
func (s *Supervisor) ReloadWith(ctx context.Context, spec config.WorkerSpec) (generation int, err error) {
	return s.reload(ctx, reloadRequest{spec: &spec, reply: make(chan rolloutResult, 1)})
}

func (s *Supervisor) reload(ctx context.Context, req reloadRequest) (int, error) {
	res, err := ask(ctx, s, req, req.reply)
	if err != nil {
		return 0, err
	}
	return res.generation, res.err
}

func (s *Supervisor) onReload(req reloadRequest) {
	if r := s.rollout; r != nil && r.recycle != "" && s.pendingReload == nil && !s.shuttingDown {
		s.log.Info("reload waits for a recycle to finish", "slot", r.slot)
		s.pendingReload = &req
		return
	}
	if err := s.refuseRollout(); err != nil {
		req.reply <- rolloutResult{generation: s.generation, err: err}
		return
	}
	s.lastGeneration++
	spec := s.specOf(s.generation)
	if req.spec != nil {
		spec = *req.spec
	}
	g := s.addGeneration(s.lastGeneration, spec, s.generation)
	s.forgetBackoffs()
	r := s.newRollout(reloadRollout, -1, req.reply)
	r.specChanged = !g.Changes.Empty()
	r.fillEmptySlots(s)
	s.rollout = r
	s.log.Info("reload started", "generation", r.generation, "workers", s.target,
		"max_unavailable", r.width, "empty_slots", len(r.steps), "changes", g.Changes.String())
	s.emit(ReloadStarted{Generation: r.generation})
	if !s.toldReady {
		return // systemd is still starting the service: READY=1 comes with the pool's
	}
	r.toldSystemd = true
	if err := s.notifier.Reloading(fmt.Sprintf("reloading to generation %d", r.generation)); err != nil {
		s.log.Warn("notify systemd", "err", err)
	}
}

// endReload makes a successful reload's generation the pool's, and ends
// systemd's reload either way.
func (s *Supervisor) endReload(r *rollout, err error) {
	s.counters.Reloads++
	s.counters.LastReload = s.clock.Now().Sub(r.started)
	var rerr *ReloadError
	switch {
	case err == nil:
		s.generation, s.reloadFailed = r.generation, ""
		s.log.Info("reload complete", "generation", r.generation, "replaced", r.replaced)
	case errors.As(err, &rerr):
		s.reloadFailed = fmt.Sprintf("last reload failed at slot %d: %s", rerr.Slot, rerr.Reason)
		if rerr.RolledBack {
			s.reloadFailed += fmt.Sprintf("; rolled back to generation %d", rerr.Previous)
		}
		fallthrough
	default:
		s.counters.ReloadsFailed++
		s.log.Error("reload failed", "generation", r.generation, "replaced", r.replaced, "err", err)
	}
	s.emit(ReloadFinished{Generation: r.generation, Duration: s.counters.LastReload, Err: err})
	if r.toldSystemd {
		s.tellReloaded()
	}
}

// tellReloaded ends the reloading state RELOADING=1 put systemd in:
// READY=1, with the summary that says how the reload went, unless the pool
// is stopping (STOPPING=1 took over).
func (s *Supervisor) tellReloaded() {
	if s.shuttingDown {
		return
	}
	s.lastSummary = s.counts().Summary
	if err := s.notifier.Ready(s.lastSummary); err != nil {
		s.log.Warn("notify systemd", "err", err)
	}
}

// forgetBackoffs gives every slot a fresh start: no failures in a row, no
// delay, not crash-looping.
func (s *Supervisor) forgetBackoffs() {
	for slot := range s.target {
		st := s.slotState(slot)
		st.failures, st.notBefore, st.crashLoop = 0, time.Time{}, false
	}
}

// fillEmptySlots adds a step for each slot without a running worker: it is
// filled at once (once a stopping worker there has exited), and the reload
// waits for the new worker to be ready as for any other.
func (r *rollout) fillEmptySlots(s *Supervisor) {
	busy := map[int]bool{}
	for _, w := range s.workers {
		if running(w) {
			busy[w.slot] = true
		}
	}
	for slot := range s.target {
		if !busy[slot] {
			r.steps = append(r.steps, &step{slot: slot})
		}
	}
}

// spawnGeneration is the generation of a worker started now: during a
// reload the new one, also for a slot restarted after a crash, else the
// pool's.
func (s *Supervisor) spawnGeneration() int {
	if r := s.rollout; r != nil && r.kind == reloadRollout {
		return r.generation
	}
	return s.generation
}
