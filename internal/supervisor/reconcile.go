package supervisor

import (
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/poold/poold/internal/plural"
)

// reconcile moves the pool towards its target: it fills empty slots whose
// backoff has passed and stops workers that should not run.
func (s *Supervisor) reconcile() {
	if s.shuttingDown {
		if s.rollout != nil {
			s.finishRollout(ErrShuttingDown)
		}
		for _, w := range s.workers {
			s.stop(w, stopRequested, "pool shutting down")
		}
		return
	}
	for _, w := range s.workers {
		if w.slot >= s.target {
			s.stop(w, stopRequested, "slot above the target count")
		}
	}
	s.advanceRollout() // first: it refills the slots it emptied itself
	occupied := s.occupiedSlots()
	now := s.clock.Now()
	for slot := 0; slot < s.target; slot++ {
		if !occupied[slot] && !now.Before(s.slotState(slot).notBefore) {
			s.spawn(slot)
		}
	}
}

// spawn fills an empty slot; a failed spawn backs off like a crash.
func (s *Supervisor) spawn(slot int) {
	if _, err := s.spawnWorker(slot); err != nil {
		delay := s.backOff(slot, err.Error())
		s.log.Error("spawn worker", "slot", slot, "err", err, "failures", s.slotState(slot).failures, "retry_in", delay)
		s.reportCrashLoop(slot)
	}
}

// backOff counts a failed start or crash of slot and holds its next start
// back by the backoff delay, which it returns.
func (s *Supervisor) backOff(slot int, why string) time.Duration {
	st := s.slotState(slot)
	st.failures++
	st.lastExit = why
	delay := s.opts.Backoff.Delay(st.failures)
	st.notBefore = s.clock.Now().Add(delay)
	return delay
}

// occupiedSlots is the set of slots that have a worker, in any state.
func (s *Supervisor) occupiedSlots() map[int]bool {
	occupied := make(map[int]bool, len(s.workers))
	for _, w := range s.workers {
		occupied[w.slot] = true
	}
	return occupied
}

// spawnWorker starts a worker of the current generation in slot.
func (s *Supervisor) spawnWorker(slot int) (*worker, error) {
	s.lastID++
	gen := s.spawnGeneration()
	req := SpawnRequest{
		ID:             s.lastID,
		Slot:           slot,
		Generation:     gen,
		Spec:           s.specOf(gen),
		ProbeListening: s.opts.Ready.AcceptsListening(),
	}
	proc, err := s.spawner.Spawn(req, loopSink{s})
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	w := &worker{id: req.ID, slot: slot, generation: req.Generation, proc: proc, state: Starting, started: now,
		limits: s.opts.Health.jittered(req.ID)}
	w.log = s.log.With(s.attrs(w)...)
	if s.opts.Ready == ReadyDelay {
		w.arm(now, s.opts.ReadyDelay)
	} else {
		w.arm(now, s.opts.ReadyTimeout)
	}
	s.workers[w.id] = w
	s.counters.Started++
	s.emit(WorkerStarted{Worker: s.workerStatus(w)})
	s.log.Info("worker started", s.attrs(w, "generation", w.generation)...)
	return w, nil
}

// stop asks a worker to stop gracefully; SIGKILL follows at the deadline:
// after the stop timeout, or a short grace for a worker judged hung.
func (s *Supervisor) stop(w *worker, why trigger, reason string) {
	if _, changed := s.transition(w, why); !changed {
		return
	}
	w.fate, w.stopReason = stopped, reason
	w.killAfter = s.opts.StopTimeout
	if w.hung {
		w.killAfter = min(HungGrace, s.opts.StopTimeout)
	}
	w.arm(s.clock.Now(), w.killAfter)
	s.log.Info("stopping worker", s.attrs(w, "reason", reason, "kill_after", w.killAfter)...)
	s.signal(w, syscall.SIGTERM)
}

func (s *Supervisor) signal(w *worker, sig syscall.Signal) {
	if err := w.proc.Signal(sig); err != nil {
		s.log.Warn("signal worker", s.attrs(w, "signal", sig.String(), "err", err)...)
	}
}

func (s *Supervisor) beginShutdown(why string) {
	if s.shuttingDown {
		return
	}
	s.shuttingDown = true
	s.log.Info("pool shutting down", "why", why, "workers", len(s.workers), "stop_timeout", s.opts.StopTimeout)
	if err := s.notifier.Stopping("stopping: draining " + plural.Of(len(s.workers), "worker")); err != nil {
		s.log.Warn("notify systemd", "err", err)
	}
}

// killAll ends the graceful part of a shutdown: every worker gets SIGKILL now.
func (s *Supervisor) killAll() {
	s.beginShutdown("forced")
	for _, w := range s.workers {
		s.transition(w, stopRequested)
		if w.fate == unstopped {
			w.fate, w.stopReason = stopped, "pool shutting down"
		}
		w.deadline = time.Time{}
		s.signal(w, syscall.SIGKILL)
	}
}

// attrs are the log attributes naming a worker, followed by extra ones.
func (s *Supervisor) attrs(w *worker, extra ...any) []any {
	return append([]any{slog.Int("slot", w.slot), slog.Int("pid", w.proc.PID()), slog.Uint64("worker", uint64(w.id))}, extra...)
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
