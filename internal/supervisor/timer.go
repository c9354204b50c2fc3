package supervisor

import "time"

// armTimer schedules one tick for the earliest deadline the loop has: a
// worker's ready or kill deadline, an empty slot's backoff, the watchdog ping.
func (s *Supervisor) armTimer() {
	at := s.earliestDeadline()
	if at.Equal(s.timerAt) {
		return
	}
	s.cancelTimer()
	s.timerAt = at
	if at.IsZero() {
		return
	}
	s.stopTimer = s.clock.AfterFunc(at.Sub(s.clock.Now()), func() { s.post(tick{}) })
}

func (s *Supervisor) cancelTimer() {
	if s.stopTimer != nil {
		s.stopTimer()
		s.stopTimer = nil
	}
	s.timerAt = time.Time{}
}

func (s *Supervisor) earliestDeadline() time.Time {
	var at time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	consider(s.nextPing)
	consider(s.nextHealth)
	for _, w := range s.workers {
		consider(w.deadline)
	}
	if !s.shuttingDown {
		occupied := s.occupiedSlots()
		for slot := 0; slot < s.target && slot < len(s.slots); slot++ {
			if !occupied[slot] {
				consider(s.slots[slot].notBefore)
			}
		}
	}
	return at
}
