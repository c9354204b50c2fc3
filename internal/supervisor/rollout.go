package supervisor

import (
	"context"
	"errors"
	"fmt"
)

// ReloadError says why a rolling reload stopped. The slots not yet replaced
// keep their old workers, which go on serving.
type ReloadError struct {
	Slot       int
	Generation int
	Reason     string
}

func (e *ReloadError) Error() string {
	return fmt.Sprintf("reload to generation %d stopped at slot %d: %s; the old workers keep serving", e.Generation, e.Slot, e.Reason)
}

// rollout is a rolling reload in progress: slot by slot, a worker of the new
// generation starts beside the old one, and the old one is stopped only once
// the new one is ready.
type rollout struct {
	generation int
	waiters    []chan error
	pending    *worker // the new worker being started, nil between slots
	replacing  *worker // the old worker pending replaces
	replaced   int
}

type reloadRequest struct{ reply chan error }

// Reload replaces every worker with a fresh one, slot by slot, without ever
// having fewer ready workers than before. It returns when the reload is done
// or has failed; if ctx ends first it returns ctx.Err() and the reload goes
// on. A second Reload while one runs gets ErrBusy.
func (s *Supervisor) Reload(ctx context.Context) error {
	req := reloadRequest{reply: make(chan error, 1)}
	return s.request(ctx, req, req.reply)
}

func (s *Supervisor) onReload(req reloadRequest) {
	switch {
	case s.shuttingDown:
		req.reply <- ErrShuttingDown
		return
	case s.rollout != nil:
		req.reply <- fmt.Errorf("%w: a reload to generation %d is in progress", ErrBusy, s.rollout.generation)
		return
	}
	s.generation++
	s.rollout = &rollout{generation: s.generation, waiters: []chan error{req.reply}}
	s.log.Info("reload started", "generation", s.generation, "workers", s.opts.Workers)
	if err := s.notifier.Reloading(fmt.Sprintf("reloading to generation %d", s.generation)); err != nil {
		s.log.Warn("notify systemd", "err", err)
	}
}

// advanceRollout starts the next replacement when none is pending, and ends
// the rollout when every slot runs the new generation.
func (s *Supervisor) advanceRollout() {
	r := s.rollout
	if r == nil || r.pending != nil {
		return
	}
	old := s.nextToReplace(r.generation)
	if old == nil {
		s.finishRollout(nil)
		return
	}
	w, err := s.spawnWorker(old.slot)
	if err != nil {
		s.finishRollout(&ReloadError{Slot: old.slot, Generation: r.generation, Reason: err.Error()})
		return
	}
	w.surge = true
	r.pending, r.replacing = w, old
}

// nextToReplace is the lowest-slot running worker of an older generation.
func (s *Supervisor) nextToReplace(generation int) *worker {
	var found *worker
	for _, w := range s.workers {
		if w.generation >= generation || w.slot >= s.opts.Workers || (w.state != Ready && w.state != Starting) {
			continue
		}
		if found == nil || w.slot < found.slot {
			found = w
		}
	}
	return found
}

// rolloutReady is called when a worker becomes ready.
func (s *Supervisor) rolloutReady(w *worker) {
	r := s.rollout
	if r == nil || r.pending != w {
		return
	}
	w.surge = false
	s.stop(r.replacing, stopRequested, fmt.Sprintf("replaced by generation %d", r.generation))
	r.pending, r.replacing = nil, nil
	r.replaced++
}

// rolloutFailed is called when a worker fails to start (exit or ready
// timeout); it ends the rollout if that worker was its pending one.
func (s *Supervisor) rolloutFailed(w *worker, reason string) {
	if r := s.rollout; r != nil && r.pending == w {
		s.finishRollout(&ReloadError{Slot: w.slot, Generation: r.generation, Reason: reason})
	}
}

func (s *Supervisor) finishRollout(err error) {
	r := s.rollout
	s.rollout = nil
	s.reloadFailed = ""
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
	for _, c := range r.waiters {
		c <- err
	}
}
