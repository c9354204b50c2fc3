package supervisor

import (
	"context"
	"fmt"
)

// errUpgrading refuses what would change the pool during a freeze.
var errUpgrading = fmt.Errorf("%w: an upgrade in place is under way: retry once it is done", ErrBusy)

// freezeRequest asks the loop to stop for an upgrade in place.
type freezeRequest struct {
	quiesce func() error
	reply   chan freezeResult
}

type freezeResult struct {
	state Frozen
	err   error
}

// quiesced says that the freeze's quiesce has returned: every event
// posted before it is in the queue.
type quiesced struct{ err error }

// freezing is a freeze under way: the loop spawns and stops nothing, and
// waits for quiesce.
type freezing struct{ reply chan freezeResult }

// Freeze stops the loop at a quiescent point for an upgrade in place and
// returns the pool's state. It refuses, with ErrBusy, while a reload or a
// rollout runs or a freeze already did, and with ErrShuttingDown during a
// shutdown. Otherwise the loop stops spawning, stopping and recycling
// workers and calls quiesce (the spawner's Freeze: it stops everything
// that posts events about workers) from another goroutine, applies what
// was posted before quiesce returned, and returns its state. From then on
// the loop is parked: it handles nothing until Resume, or ctx of Run
// ends. A quiesce that fails resumes the loop and fails the freeze.
func (s *Supervisor) Freeze(ctx context.Context, quiesce func() error) (Frozen, error) {
	req := freezeRequest{quiesce: quiesce, reply: make(chan freezeResult, 1)}
	res, err := ask(ctx, s, req, req.reply)
	if err != nil {
		return Frozen{}, err
	}
	return res.state, res.err
}

// Resume lets a parked loop go on, as after a freeze that was not
// followed by an exec.
func (s *Supervisor) Resume() {
	select {
	case s.resume <- struct{}{}:
	case <-s.done:
	}
}

func (s *Supervisor) onFreeze(req freezeRequest) {
	switch {
	case s.shuttingDown:
		req.reply <- freezeResult{err: ErrShuttingDown}
		return
	case s.freezing != nil:
		req.reply <- freezeResult{err: errUpgrading}
		return
	case s.rollout != nil:
		req.reply <- freezeResult{err: fmt.Errorf("%w: %s: retry once it is done", ErrBusy, s.rollout.describe())}
		return
	case s.pendingReload != nil:
		req.reply <- freezeResult{err: fmt.Errorf("%w: a reload waits for a recycle: retry once it is done", ErrBusy)}
		return
	}
	s.freezing = &freezing{reply: req.reply}
	s.log.Info("freezing the pool for an upgrade in place", "workers", len(s.workers))
	go func() { s.post(quiesced{err: req.quiesce()}) }()
}

func (s *Supervisor) onQuiesced(ev quiesced) {
	f := s.freezing
	s.freezing = nil
	if ev.err != nil {
		f.reply <- freezeResult{err: fmt.Errorf("freeze the workers: %w", ev.err)}
		return
	}
	s.parked = true
	f.reply <- freezeResult{state: s.frozen()}
}

// park waits for Resume or the end of ctx, and reports whether the loop
// goes on.
func (s *Supervisor) park(cancelled <-chan struct{}) bool {
	select {
	case <-s.resume:
		s.parked = false
		s.log.Info("pool resumed after a freeze")
		return true
	case <-cancelled:
		s.parked = false
		return false
	}
}
