package supervisor

import "reflect"

// Subscribe returns a new channel that receives after the loop has handled
// events that changed what Status returns: a worker added or removed, its
// state, status text or heartbeat, the target, the generation, the summary,
// the pool state. It has room for one value and the loop never blocks on it,
// so changes that come quicker than the reader coalesce into one; the reader
// calls Status to see where the pool is now. Status calls themselves change
// nothing and never make it receive. Each call makes a channel of its own, so
// every reader sees every change; it may be called before or after Run
// starts, and a subscriber that subscribes after a change only sees the next
// one.
func (s *Supervisor) Subscribe() <-chan struct{} {
	c := make(chan struct{}, 1)
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.subscribers = append(s.subscribers, c)
	return c
}

// publish signals every subscriber when the snapshot differs from the last
// one published. Only the loop calls it, once per iteration.
func (s *Supervisor) publish() {
	st := s.snapshot()
	if reflect.DeepEqual(st, s.published) {
		return
	}
	s.published = st
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, c := range s.subscribers {
		select {
		case c <- struct{}{}:
		default: // one is pending already: the reader will see this change too
		}
	}
}
