package supervisor

import (
	"time"
)

// neverReadyCrashLoop is the number of consecutive failures after which a
// slot none of whose workers was ever ready counts as crash-looping: a
// command that cannot serve at all (a wrapper that hides the pool's
// sockets, a missing module) is reported at once, not after
// CrashLoopAfter failures and minutes of backoff.
const neverReadyCrashLoop = 2

// slotState is what outlives the workers of one slot.
type slotState struct {
	failures  int       // consecutive failed starts or crashes
	notBefore time.Time // backoff: no spawn before this
	restarts  int
	crashLoop bool
	// readyOnce: a worker of the slot has been ready since the pool started
	// or a scale added the slot. A reload keeps it: the slot served before.
	readyOnce  bool
	lastExit   string   // how its last failed worker ended
	lastOutput []string // that worker's last stderr lines
}

// SlotStatus is a slot whose workers keep failing: its last failure,
// without a ready worker since.
type SlotStatus struct {
	Slot int
	// CrashLooping: CrashLoopAfter failures in a row, or 2 when no worker of
	// the slot was ever ready.
	CrashLooping bool
	Failures     int
	LastExit     string   // "exit code 1 before READY=1", "not ready after 1m0s", ...
	LastOutput   []string // the last worker's last stderr lines, when poold read them
	// NextStart is when the slot's next worker starts; zero while one runs.
	NextStart time.Time
}

func (s *Supervisor) slotState(slot int) *slotState {
	for len(s.slots) <= slot {
		s.slots = append(s.slots, slotState{})
	}
	return &s.slots[slot]
}

// failingSlots are the slots of the target without a ready worker whose
// last worker failed.
func (s *Supervisor) failingSlots() []SlotStatus {
	occupied, ready := s.occupiedSlots(), map[int]bool{}
	for _, w := range s.workers {
		ready[w.slot] = ready[w.slot] || w.state == Ready
	}
	var out []SlotStatus
	for slot := 0; slot < s.target && slot < len(s.slots); slot++ {
		st := s.slots[slot]
		if st.failures == 0 || ready[slot] {
			continue
		}
		ss := SlotStatus{Slot: slot, CrashLooping: st.crashLoop, Failures: st.failures, LastExit: st.lastExit,
			LastOutput: st.lastOutput}
		if !occupied[slot] {
			ss.NextStart = st.notBefore
		}
		out = append(out, ss)
	}
	return out
}

// crashLooping reports whether a slot of the target is crash-looping.
func (s *Supervisor) crashLooping() bool {
	for slot := 0; slot < s.target && slot < len(s.slots); slot++ {
		if s.slots[slot].crashLoop {
			return true
		}
	}
	return false
}

// reportCrashLoop reports, once a streak, a slot that has failed too often
// in a row: CrashLoopAfter times, or twice without ever being ready.
func (s *Supervisor) reportCrashLoop(slot int) {
	st := s.slotState(slot)
	after := s.opts.CrashLoopAfter
	if !st.readyOnce {
		after = min(after, neverReadyCrashLoop)
	}
	if st.failures < after || st.crashLoop {
		return
	}
	st.crashLoop = true
	attrs := []any{"slot", slot, "failures", st.failures, "last_exit", st.lastExit, "max_backoff", s.opts.Backoff.Max}
	if !st.readyOnce {
		attrs = append(attrs, "never_ready", true)
	}
	if len(st.lastOutput) > 0 {
		attrs = append(attrs, "last_output", st.lastOutput)
	}
	s.log.Error("slot is crash-looping; restarts continue with backoff", attrs...)
}

// exitReason says how a worker that failed ended, for its slot's record.
func (s *Supervisor) exitReason(w *worker, status ExitStatus) string {
	switch {
	case w.fate == failedStart:
		return w.stopReason
	case w.readySince.IsZero():
		return status.String() + " before " + s.opts.Ready.Awaited()
	}
	return status.String()
}
