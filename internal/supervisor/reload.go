package supervisor

import (
	"context"
	"fmt"
)

type reloadRequest struct{ reply chan rolloutResult }

// Reload replaces every worker with one of a new generation. With
// MaxUnavailable 0 it goes slot by slot, starting each new worker beside the
// old one, and never has fewer ready workers than before; with K > 0 it
// replaces up to K slots at once, stopping each old worker first. It tells
// systemd RELOADING=1, and READY=1 once the rollout has ended.
//
// It returns when the reload is done or has failed (a *ReloadError), with the
// generation the pool then has: the new one, also after a failure part-way,
// since the slots already replaced run it. If ctx ends first it returns 0
// and ctx.Err(), and the reload goes on. It returns ErrBusy while another
// reload or a RestartWorker runs.
func (s *Supervisor) Reload(ctx context.Context) (generation int, err error) {
	req := reloadRequest{reply: make(chan rolloutResult, 1)}
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
	s.generation++
	s.rollout = s.newRollout(reloadRollout, -1, req.reply)
	s.log.Info("reload started", "generation", s.generation, "workers", s.opts.Workers, "max_unavailable", s.rollout.width)
	if err := s.notifier.Reloading(fmt.Sprintf("reloading to generation %d", s.generation)); err != nil {
		s.log.Warn("notify systemd", "err", err)
	}
}
