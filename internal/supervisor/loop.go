package supervisor

import (
	"syscall"
	"time"
)

// Keys of the warnings the loop rate-limits, by worker.
type (
	malformedNotify WorkerID
	extensionCapped WorkerID
)

// Loop-internal events.
type (
	tick            struct{}
	shutdownRequest struct{}
	killRequest     struct{}
)

// handle applies one event. Only the loop calls it.
func (s *Supervisor) handle(ev message) {
	switch ev := ev.(type) {
	case tick:
		s.onTick()
	case Exited:
		s.onExited(ev)
	case Notified:
		s.onNotified(ev)
	case Reported:
		if w := s.workers[ev.ID]; w != nil {
			w.metrics, w.metricsAt = ev.Metrics, s.clock.Now()
			w.lastHeartbeat, w.hung = w.metricsAt, false
			s.noteLoopDelay(w, w.metricsAt)
		}
	case Listening:
		if w := s.workers[ev.ID]; w != nil && s.opts.Ready.AcceptsListening() {
			s.markReady(w, "listening on a pool socket")
		}
	case shutdownRequest:
		s.beginShutdown("shutdown requested")
	case killRequest:
		s.killAll()
	case reloadRequest:
		s.onReload(ev)
	case restartRequest:
		s.onRestart(ev)
	case signalRequest:
		s.onSignal(ev)
	case scaleRequest:
		s.onScale(ev)
	case freezeRequest:
		s.onFreeze(ev)
	case quiesced:
		s.onQuiesced(ev)
	case statusRequest:
		ev.reply <- s.snapshot()
	case retuneRequest:
		s.onRetune(ev)
	default:
		s.log.Error("supervisor: unknown event", "type", typeName(ev))
	}
}

// onTick acts on every deadline that has passed.
func (s *Supervisor) onTick() {
	// The timer that posted this tick has fired: the next armTimer must arm
	// a new one even for an unchanged deadline.
	s.timerAt, s.stopTimer = time.Time{}, nil
	now := s.clock.Now()
	if !s.nextPing.IsZero() && !now.Before(s.nextPing) {
		if err := s.notifier.Watchdog(); err != nil {
			s.log.Warn("watchdog ping", "err", err)
		}
		s.nextPing = now.Add(s.notifier.WatchdogInterval())
	}
	if !s.nextHealth.IsZero() && !now.Before(s.nextHealth) && s.freezing == nil {
		s.checkHealth(now)
		s.nextHealth = now.Add(s.opts.Health.Every)
	}
	for _, w := range s.workers {
		if w.deadline.IsZero() || now.Before(w.deadline) {
			continue
		}
		w.deadline = time.Time{}
		switch w.state {
		case Starting:
			if s.opts.Ready == ReadyDelay {
				s.markReady(w, "ready delay passed")
				continue
			}
			s.log.Warn("worker not ready in time, stopping it", s.attrs(w, "timeout", s.opts.ReadyTimeout)...)
			s.stop(w, readyTimedOut, "not ready after "+s.opts.ReadyTimeout.String())
			s.rolloutFailed(w, w.stopReason)
			w.fate = failedStart
		case Stopping:
			s.log.Warn("worker still running after stop timeout, sending SIGKILL", s.attrs(w, "timeout", w.killAfter)...)
			s.signal(w, syscall.SIGKILL)
		}
	}
}

func (s *Supervisor) onExited(ev Exited) {
	w := s.workers[ev.ID]
	if w == nil {
		return
	}
	s.transition(w, processExited)
	delete(s.workers, ev.ID)
	s.forgetGenerations()
	s.emit(WorkerExited{Worker: s.workerStatus(w), Exit: ev.Status})
	now := s.clock.Now()
	// A worker that said STOPPING=1 and exited cleanly by itself left on
	// purpose; one poold stopped for a fault failed whatever it said.
	leftByItself := w.fate == unstopped && w.leaving && ev.Status.Clean()
	planned := w.fate == stopped || leftByItself
	s.counters.countExit(exitCause(w, planned, ev.Status))
	uptime := now.Sub(w.started).Round(time.Millisecond)
	if w.surge { // a surging rollout's new worker that never got ready: the old one still serves the slot
		s.log.Warn("new worker exited before it was ready", s.attrs(w, "status", ev.Status.String(), "uptime", uptime)...)
		s.rolloutFailed(w, "new worker "+ev.Status.String()+" before it was ready")
		return
	}
	// A stop-first rollout's new worker: the rollout ends, and the slot
	// restarts below like after any crash.
	s.rolloutFailed(w, "new worker "+ev.Status.String()+" before it was ready")
	st := s.slotState(w.slot)
	if planned {
		st.lastExit = ev.Status.String()
		s.log.Info("worker exited", s.attrs(w, "status", ev.Status.String(), "reason", w.reason(), "uptime", uptime)...)
		if leftByItself && !s.shuttingDown && w.slot < s.target {
			st.restarts++
		}
		return
	}
	if !w.readySince.IsZero() && now.Sub(w.readySince) >= s.opts.Backoff.StableAfter {
		st.failures = 0
	}
	st.restarts++
	st.lastOutput = ev.Output
	delay := s.backOff(w.slot, s.exitReason(w, ev.Status))
	s.log.Warn("worker exited unexpectedly", s.attrs(w, "status", ev.Status.String(), "reason", w.reason(),
		"uptime", uptime, "failures", st.failures, "restart_in", delay)...)
	s.reportCrashLoop(w.slot)
}

func (s *Supervisor) onNotified(ev Notified) {
	w := s.workers[ev.ID]
	if w == nil {
		return
	}
	d := ev.Datagram
	if d.Err != nil {
		s.warnings.Warn(w.log, malformedNotify(w.id), "malformed notify message from worker; valid fields used", "err", d.Err)
	}
	m := d.Message
	if m.HasStatus {
		w.status = m.Status
	}
	if m.Watchdog {
		w.lastHeartbeat, w.hung = s.clock.Now(), false
	}
	if m.Stopping {
		w.leaving = true
	}
	extendable := w.state == Stopping || w.state == Starting && s.opts.Ready != ReadyDelay
	if now := s.clock.Now(); m.ExtendTimeout > 0 && extendable && w.extend(now, m.ExtendTimeout) {
		s.warnings.Warn(w.log, extensionCapped(w.id), "worker asked for more time than its hard cap allows",
			"state", w.state.String(), "asked", m.ExtendTimeout, "deadline_in", w.deadline.Sub(now))
	}
	if m.Ready && s.opts.Ready.AcceptsNotify() {
		s.markReady(w, "READY=1")
	}
}

func (s *Supervisor) markReady(w *worker, via string) {
	if _, changed := s.transition(w, becameReady); !changed {
		return
	}
	w.readySince = s.clock.Now()
	w.deadline = time.Time{}
	s.emit(WorkerReady{Worker: s.workerStatus(w)})
	st := s.slotState(w.slot)
	st.crashLoop, st.readyOnce = false, true
	s.log.Info("worker ready", s.attrs(w, "via", via, "after", w.readySince.Sub(w.started).Round(time.Millisecond))...)
	s.rolloutReady(w)
}

func (s *Supervisor) transition(w *worker, t trigger) (State, bool) {
	to, changed := next(w.state, t)
	w.state = to
	return to, changed
}
