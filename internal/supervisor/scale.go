package supervisor

import (
	"context"
	"fmt"
)

// ScaleZero allows Scale to stop every worker; without it 0 is refused.
type ScaleZero int

const (
	// RefuseZero: a scale to 0 is an error (a typo must not stop a service).
	RefuseZero ScaleZero = iota + 1
	// AllowZero: a scale to 0 stops every worker; the sockets stay open and
	// connections queue until a scale up.
	AllowZero
)

type scaleRequest struct {
	n     int
	zero  ScaleZero
	reply chan error
}

// Scale sets the target worker count. Up starts new slots; down stops the
// highest slots gracefully. It returns once the new target is set, not when
// the workers are ready. It returns ErrBusy while a rollout runs.
func (s *Supervisor) Scale(ctx context.Context, n int, zero ScaleZero) error {
	req := scaleRequest{n: n, zero: zero, reply: make(chan error, 1)}
	return s.request(ctx, req, req.reply)
}

func (s *Supervisor) onScale(req scaleRequest) {
	if s.freezing != nil {
		req.reply <- errUpgrading
		return
	}
	req.reply <- s.scale(req.n, req.zero)
}

func (s *Supervisor) scale(n int, zero ScaleZero) error {
	switch {
	case n < 0:
		return fmt.Errorf("%w: %d workers: want 0 or more", ErrInvalidArgument, n)
	case n == 0 && zero != AllowZero:
		return fmt.Errorf("%w: 0 workers would stop the service; ask for zero explicitly", ErrInvalidArgument)
	case n > s.opts.MaxWorkers:
		return fmt.Errorf("%w: %d workers is above the maximum of %d", ErrInvalidArgument, n, s.opts.MaxWorkers)
	case s.shuttingDown:
		return ErrShuttingDown
	case s.rollout != nil:
		return fmt.Errorf("%w: %s", ErrBusy, s.rollout.describe())
	}
	if n == s.target {
		return nil
	}
	s.log.Info("scaling", "from", s.target, "to", n)
	for slot := n; slot < len(s.slots); slot++ {
		s.slots[slot] = slotState{} // a later scale up starts these slots afresh
	}
	s.emit(Scaled{From: s.target, To: n})
	s.target = n
	s.minReady = min(s.minReady, n)
	return nil
}
