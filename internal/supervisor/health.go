package supervisor

import (
	"fmt"
	"time"

	"github.com/poold/poold/internal/plural"
)

// Health says when a ready worker is recycled: replaced the way
// RestartWorker replaces it (the new worker first, unless MaxUnavailable is
// set), one worker at a time, never while a reload or restart runs. Zero
// fields are off.
type Health struct {
	// Watchdog recycles a ready worker that sent no heartbeat (WATCHDOG=1,
	// or metrics on its channel) for this long; workers get it as
	// WATCHDOG_USEC. A worker's first heartbeat arms it: one that never
	// sent any is not recycled, but warned about once. A worker it judged
	// hung gets SIGKILL HungGrace after its SIGTERM, not StopTimeout.
	Watchdog time.Duration
	// Memory recycles a worker whose memory (Options.Memory: its cgroup's,
	// or its resident set) stayed above it for
	// MemoryFor; a shorter breach (a start-up spike) does not count.
	Memory    uint64
	MemoryFor time.Duration
	// LoopDelay recycles a worker whose reported event-loop delay (99th
	// percentile) stayed above it for LoopDelayFor.
	LoopDelay    time.Duration
	LoopDelayFor time.Duration
	// Requests and Age recycle a worker after that many requests handled
	// (as it reports them) or that long since it started; each worker gets
	// up to 10% more, so that workers started together are not recycled
	// together.
	Requests uint64
	Age      time.Duration
	// Every is how often the loop checks; default 1s.
	Every time.Duration
}

// HungGrace is how long a worker the watchdog judged hung has between
// SIGTERM and SIGKILL, when the stop timeout is longer: it has already
// been silent for the watchdog's period, and a stopped (SIGSTOP) or
// deadlocked process would only hold its slot's second process, and its
// connections, for the whole stop timeout.
const HungGrace = 5 * time.Second

// MemoryReader reads a worker's memory in bytes.
type MemoryReader func(pid int) (uint64, error)

func (h Health) enabled() bool {
	return h.Watchdog > 0 || h.Memory > 0 || h.LoopDelay > 0 || h.Requests > 0 || h.Age > 0
}

func (h Health) withDefaults() Health {
	if h.Every == 0 {
		h.Every = time.Second
	}
	return h
}

// limits are one worker's recycling thresholds, jittered at its start.
type limits struct {
	requests uint64
	age      time.Duration
}

// jittered gives worker id up to 10% more of each count-like limit. The
// jitter comes from the ID, so tests are deterministic and workers
// started together still differ.
func (h Health) jittered(id WorkerID) limits {
	spread := func(n uint64) uint64 {
		if n < 10 {
			return n
		}
		return n + uint64(id)*2654435761%(n/10+1)
	}
	return limits{requests: spread(h.Requests), age: time.Duration(spread(uint64(h.Age)))}
}

// checkHealth recycles the lowest-slot unhealthy ready worker, if a
// recycle may start now.
func (s *Supervisor) checkHealth(now time.Time) {
	var sick *worker
	var reason, detail string
	for _, w := range s.workers {
		if w.state != Ready || w.surge {
			continue
		}
		if r, d := s.diagnose(w, now); r != "" && (sick == nil || w.slot < sick.slot) {
			sick, reason, detail = w, r, d
		}
	}
	if sick == nil || !s.mayRecycle() {
		return
	}
	s.recycle(sick, reason, detail)
}

// diagnose returns why w should be recycled, or "".
func (s *Supervisor) diagnose(w *worker, now time.Time) (reason, detail string) {
	h := s.opts.Health
	if h.Watchdog > 0 {
		if silent, hung := s.watch(w, now); hung {
			return "watchdog", fmt.Sprintf("no heartbeat for %s (watchdog %s)", silent.Round(time.Millisecond), h.Watchdog)
		}
	}
	if h.Memory > 0 && s.opts.Memory != nil {
		if rss, err := s.opts.Memory(w.proc.PID()); err == nil {
			w.memoryHighSince = since(w.memoryHighSince, rss > h.Memory, now)
			if !w.memoryHighSince.IsZero() && now.Sub(w.memoryHighSince) >= h.MemoryFor {
				return "memory", fmt.Sprintf("memory %s above %s for %s", mib(rss), mib(h.Memory), now.Sub(w.memoryHighSince).Round(time.Second))
			}
		}
	}
	if h.LoopDelay > 0 && !w.loopHighSince.IsZero() && now.Sub(w.loopHighSince) >= h.LoopDelayFor {
		return "loop-delay", fmt.Sprintf("event-loop delay above %s for %s (last p99 %s)", h.LoopDelay, now.Sub(w.loopHighSince).Round(time.Second), w.metrics.LoopDelayP99)
	}
	if w.limits.requests > 0 && w.metrics.Requests >= w.limits.requests {
		return "requests", fmt.Sprintf("%s handled (limit %d)", plural.Of(int(w.metrics.Requests), "request"), w.limits.requests)
	}
	if w.limits.age > 0 && now.Sub(w.started) >= w.limits.age {
		return "age", fmt.Sprintf("running for %s (limit %s)", now.Sub(w.started).Round(time.Second), w.limits.age.Round(time.Second))
	}
	return "", ""
}

// watch judges w by the worker watchdog: hung once it has been silent for
// the watchdog's period since its last heartbeat, or since it became
// ready if it sent one before. A worker that never sent one is not judged,
// since it may not know the protocol at all; it is warned about once.
func (s *Supervisor) watch(w *worker, now time.Time) (silent time.Duration, hung bool) {
	h := s.opts.Health
	if w.lastHeartbeat.IsZero() {
		if !w.warnedSilent && now.Sub(w.readySince) >= h.Watchdog {
			w.warnedSilent = true
			w.log.Warn("no heartbeat since start: the worker watchdog is not armed for this worker",
				"watchdog", h.Watchdog, "hint", "send WATCHDOG=1, or metrics on the stream channel, at least every WATCHDOG_USEC")
		}
		return 0, false
	}
	last := w.readySince
	if w.lastHeartbeat.After(last) {
		last = w.lastHeartbeat
	}
	silent = now.Sub(last)
	w.hung = silent >= h.Watchdog
	return silent, w.hung
}

// since tracks when a condition started to hold: the zero time while it
// does not.
func since(start time.Time, holds bool, now time.Time) time.Time {
	switch {
	case !holds:
		return time.Time{}
	case start.IsZero():
		return now
	}
	return start
}

// noteLoopDelay follows a worker's reported event-loop delay.
func (s *Supervisor) noteLoopDelay(w *worker, now time.Time) {
	if s.opts.Health.LoopDelay > 0 {
		w.loopHighSince = since(w.loopHighSince, w.metrics.LoopDelayP99 > s.opts.Health.LoopDelay, now)
	}
}

// mayRecycle: no other rollout runs, and taking a worker out leaves as many
// ready as a reload would (all of them when surging).
func (s *Supervisor) mayRecycle() bool {
	if s.rollout != nil || s.shuttingDown || s.clock.Now().Before(s.nextRecycle) {
		return false
	}
	width := s.maxUnavailable()
	return width == 0 || s.readyCount()-1 >= s.target-width
}

func (s *Supervisor) recycle(w *worker, reason, detail string) {
	s.log.Warn("recycling worker", s.attrs(w, "reason", reason, "detail", detail)...)
	s.counters.countRecycle(reason)
	r := s.newRollout(restartRollout, w.slot, make(chan rolloutResult, 1))
	r.recycle = reason + ": " + detail
	s.rollout = r
}

func mib(b uint64) string { return fmt.Sprintf("%.0fMiB", float64(b)/(1<<20)) }
