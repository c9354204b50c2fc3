package supervisor

import (
	"errors"
	"reflect"
)

// errSteerAfterRun: Steer must come before Run, which reads it unguarded.
var errSteerAfterRun = errors.New("supervisor: Steer after Run")

// Steer makes the loop call f with the pool's snapshot whenever it has
// changed, before it tells systemd or the log anything of it: what must
// follow the workers before the pool is announced ready (the distribution's
// slot program) keeps in step that way, where a Subscription would lag.
// f runs on the loop, so it must be quick and must not call the
// Supervisor. Call it before Run.
func (s *Supervisor) Steer(f func(Status)) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.ran || s.closed {
		return errSteerAfterRun
	}
	s.steer = f
	return nil
}

// steerFollowers hands a changed snapshot to the Steer function.
func (s *Supervisor) steerFollowers() {
	if s.steer == nil {
		return
	}
	st := s.snapshot()
	if reflect.DeepEqual(st, s.steered) {
		return
	}
	s.steered = st
	s.steer(st)
}
