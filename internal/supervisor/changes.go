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

// publish hands this iteration's events, with the snapshot they produced,
// to every Subscription, and signals every Subscribe channel when the
// snapshot differs from the last one published. A change no typed event
// stands for is published as Changed. Only the loop calls it, once per
// iteration.
func (s *Supervisor) publish() {
	st := s.snapshot()
	changed := !reflect.DeepEqual(st, s.published)
	evs := s.emitted
	s.emitted = nil
	if !changed && len(evs) == 0 {
		return
	}
	if len(evs) == 0 {
		evs = []unpublished{Changed{}}
	}
	s.published = st
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, ev := range evs {
		ev := ev.with(st)
		for _, q := range s.eventSubs {
			q.put(ev)
		}
	}
	if !changed {
		return
	}
	for _, c := range s.subscribers {
		select {
		case c <- struct{}{}:
		default: // one is pending already: the reader will see this change too
		}
	}
}
