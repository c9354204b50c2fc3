package supervisor

import "sync"

// subscriptionQueue is how many events a Subscription holds unread; past
// it, the oldest unread ones give way to a Resync.
const subscriptionQueue = 64

// Subscription receives the pool's events in order. The loop never waits
// for its reader: a reader that falls more than subscriptionQueue events
// behind finds a Resync in place of the ones it lost, with the latest
// snapshot, so the last event it reads always carries the pool's state.
type Subscription struct {
	mu     sync.Mutex
	queue  []Event
	notify chan struct{} // holds a value while queue is not empty
}

// Ready receives when events are waiting; Take them then.
func (q *Subscription) Ready() <-chan struct{} { return q.notify }

// Take returns the waiting events, oldest first, and empties the queue.
func (q *Subscription) Take() []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.queue
	q.queue = nil
	return evs
}

// put queues ev, or folds it into a Resync at the tail when the queue is
// full. Only the loop calls it.
func (q *Subscription) put(ev Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) < subscriptionQueue {
		q.queue = append(q.queue, ev)
	} else {
		tail := &q.queue[len(q.queue)-1]
		lost := 1
		if r, ok := (*tail).(Resync); ok {
			lost = r.Lost
		}
		*tail = Resync{After: After{ev.Snapshot()}, Lost: lost + 1}
	}
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// Events returns a new Subscription to the pool's events. Subscribe before
// Run to see every event from the first worker's start; a later one sees
// the events after it.
func (s *Supervisor) Events() *Subscription {
	q := &Subscription{notify: make(chan struct{}, 1)}
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.subscriptions = append(s.subscriptions, q)
	return q
}
