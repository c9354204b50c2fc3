package supervisor

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/poold/poold/internal/channel"
)

// State is a worker's place in its life cycle.
type State int

const (
	// Starting: spawned, not yet ready; gets no share of the target count
	// towards readiness.
	Starting State = iota + 1
	// Ready: serving.
	Ready
	// Stopping: asked to stop (SIGTERM sent); SIGKILL follows at its deadline.
	Stopping
	// Reaped: reaped; the record is about to be dropped.
	Reaped
)

func (s State) String() string {
	switch s {
	case Starting:
		return "starting"
	case Ready:
		return "ready"
	case Stopping:
		return "stopping"
	case Reaped:
		return "exited"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// trigger is something that happens to a worker.
type trigger int

const (
	becameReady trigger = iota + 1 // READY=1, listening probe or ready delay
	readyTimedOut
	stopRequested
	processExited
)

// next is the worker state machine: the state after t happens in from, and
// whether that is a change. Triggers that do not apply leave the state alone.
func next(from State, t trigger) (State, bool) {
	to := from
	switch {
	case t == processExited:
		to = Reaped
	case from == Reaped:
	case t == becameReady && from == Starting:
		to = Ready
	case t == readyTimedOut && from == Starting:
		to = Stopping
	case t == stopRequested && from != Stopping:
		to = Stopping
	}
	return to, to != from
}

// fate is what poold decided about a worker's end, which says how its exit
// counts: a worker poold did not stop exited on its own (a crash, unless it
// announced STOPPING=1 and exited cleanly, see worker.leaving).
type fate int

const (
	// unstopped: poold has not asked it to stop.
	unstopped fate = iota
	// stopped: poold stopped it for a reason of its own (a rollout, a
	// scale down, a recycle, the shutdown): its exit is planned.
	stopped
	// failedStart: poold stopped it for a fault, not being ready in time:
	// its exit counts as a failed start of its slot.
	failedStart
)

// worker is the loop's record of one process. Only the loop touches it.
type worker struct {
	id         WorkerID
	slot       int
	generation int
	proc       Process
	state      State
	started    time.Time
	readySince time.Time
	// deadline is the next time the loop must act on this worker: the ready
	// timeout or delay while starting, the SIGKILL time while stopping.
	// hardCap is the latest EXTEND_TIMEOUT_USEC= may move it to.
	deadline, hardCap time.Time
	log               *slog.Logger // with the worker's slot, pid and ID
	status            string       // last STATUS= the worker sent
	lastHeartbeat     time.Time
	metrics           channel.Metrics // the latest the worker reported
	metricsAt         time.Time       // when; zero for never
	limits            limits          // its recycling thresholds
	fate              fate
	stopReason        string // why poold stopped it; empty while unstopped
	// leaving is set when the worker announced STOPPING=1 itself: its exit is
	// a planned one, not a crash.
	leaving bool
	// hung: the worker watchdog judged it hung (no heartbeat for its
	// period); a heartbeat clears it. warnedSilent: it was warned about for
	// sending no heartbeat at all.
	hung, warnedSilent bool
	// killAfter is how long its stop may take before SIGKILL: StopTimeout,
	// or HungGrace for a hung worker.
	killAfter time.Duration
	// surge marks a surging rollout's new worker until it is ready: it runs
	// beside the old worker of its slot, and its failure ends the rollout
	// without a backoff for the slot.
	surge bool
	// memoryHighSince and loopHighSince are when its memory and event-loop
	// delay went above their limits; zero while below.
	memoryHighSince, loopHighSince time.Time
}

// reason says why the worker ended, for logs.
func (w *worker) reason() string {
	switch {
	case w.fate != unstopped:
		return w.stopReason
	case w.leaving:
		return "worker announced STOPPING=1"
	}
	return "not asked to stop"
}

func (w *worker) String() string {
	return fmt.Sprintf("worker %d (slot %d, pid %d)", w.id, w.slot, w.proc.PID())
}
