package supervisor

import "reflect"

// Changes returns a channel that receives after the loop has handled events
// that changed what Status returns: a worker added or removed, its state,
// status text or heartbeat, the target, the generation, the summary, the
// pool state. It has room for one value and the loop never blocks on it, so
// changes that come quicker than the reader coalesce into one; the reader
// calls Status to see where the pool is now. Status calls themselves change
// nothing and never make it receive. There is one channel per supervisor:
// meant for one reader.
func (s *Supervisor) Changes() <-chan struct{} { return s.changes }

// publish signals Changes when the snapshot differs from the last one
// published. Only the loop calls it, once per iteration.
func (s *Supervisor) publish() {
	st := s.snapshot()
	if reflect.DeepEqual(st, s.published) {
		return
	}
	s.published = st
	select {
	case s.changes <- struct{}{}:
	default: // one is pending already: the reader will see this change too
	}
}
