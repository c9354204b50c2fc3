package supervisor

import "reflect"

// publish hands this iteration's events, with the snapshot they produced,
// to every Subscription. A change of what Status shows that no typed event
// stands for (a worker's status text or heartbeat, the summary, a counter)
// is published as Changed; Status requests change nothing and publish
// nothing. Only the loop calls it, once per iteration.
func (s *Supervisor) publish() {
	st := s.snapshot()
	evs := s.emitted
	s.emitted = nil
	if len(evs) == 0 {
		if reflect.DeepEqual(st, s.published) {
			return
		}
		evs = []unpublished{Changed{}}
	}
	s.published = st
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, ev := range evs {
		ev := ev.with(st)
		for _, q := range s.subscriptions {
			q.put(ev)
		}
	}
}
