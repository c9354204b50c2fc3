package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"syscall"
)

// AllSlots makes Signal address every worker of the pool.
const AllSlots = -1

type signalRequest struct {
	slot  int
	sig   syscall.Signal
	reply chan error
}

// Signal sends sig to every live worker of slot (normally one; two while a
// rollout replaces it, and also one that is stopping), or to every worker of
// the pool for slot AllSlots (-1). It goes through Process.Signal, so it
// reaches the worker's whole process group. poold does not treat the signal
// specially: a worker that dies from it is handled like any exit, restarted
// with backoff as a crash unless it was already stopping.
//
// It returns ErrInvalidArgument for a signal outside 1..64 or a slot outside
// -1..target-1, ErrNoSuchWorker when no live worker runs there, and the
// errors of the signals that could not be sent.
func (s *Supervisor) Signal(ctx context.Context, slot int, sig syscall.Signal) error {
	req := signalRequest{slot: slot, sig: sig, reply: make(chan error, 1)}
	return s.request(ctx, req, req.reply)
}

func (s *Supervisor) onSignal(req signalRequest) {
	req.reply <- s.signalSlot(req.slot, req.sig)
}

func (s *Supervisor) signalSlot(slot int, sig syscall.Signal) error {
	if sig < 1 || sig > 64 {
		return fmt.Errorf("%w: signal %d: want 1..64", ErrInvalidArgument, int(sig))
	}
	if slot != AllSlots {
		if err := s.checkSlot(slot); err != nil {
			return fmt.Errorf("%w, or %d for every worker", err, AllSlots)
		}
	}
	var targets []*worker
	for _, w := range s.workers {
		if slot == AllSlots || w.slot == slot {
			targets = append(targets, w)
		}
	}
	if len(targets) == 0 {
		if slot == AllSlots {
			return fmt.Errorf("%w: no worker is running", ErrNoSuchWorker)
		}
		return fmt.Errorf("%w: no worker is running in slot %d", ErrNoSuchWorker, slot)
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].id < targets[j].id })
	var errs []error
	for _, w := range targets {
		s.log.Info("signalling worker on request", s.attrs(w, "signal", sig.String())...)
		if err := w.proc.Signal(sig); err != nil {
			errs = append(errs, fmt.Errorf("signal %s: %w", w, err))
		}
	}
	return errors.Join(errs...)
}
