package supervisor

import "time"

// Event is something that happened in the pool, published by the loop to
// every Subscription with the snapshot the pool was in once the loop had
// handled it (Pool). The set is closed: WorkerStarted, WorkerReady,
// WorkerExited, ReloadStarted, ReloadFinished, Scaled, Changed and Resync.
type Event interface {
	Snapshot() Status
	poolEvent()
}

// After is the pool's state an event carries: the snapshot Status gave
// once the loop had handled the event.
type After struct {
	Pool Status
}

// Snapshot is the pool's state after the event.
func (e After) Snapshot() Status { return e.Pool }
func (After) poolEvent()         {}

type (
	// WorkerStarted: a worker's process was started in its slot.
	WorkerStarted struct {
		After
		Worker WorkerStatus
	}
	// WorkerReady: a starting worker became ready.
	WorkerReady struct {
		After
		Worker WorkerStatus
	}
	// WorkerExited: a worker's process was reaped; Worker is its last state.
	WorkerExited struct {
		After
		Worker WorkerStatus
		Exit   ExitStatus
	}
	// ReloadStarted: a reload to Generation began.
	ReloadStarted struct {
		After
		Generation int
	}
	// ReloadFinished: a reload to Generation ended after Duration; Err is
	// why it failed, nil when it succeeded.
	ReloadFinished struct {
		After
		Generation int
		Duration   time.Duration
		Err        error
	}
	// Scaled: the target moved From To.
	Scaled struct {
		After
		From, To int
	}
	// Changed: something else Status shows changed (a worker's status text
	// or heartbeat, a stop, the summary, a counter).
	Changed struct{ After }
	// Resync stands for Lost events the subscriber read too slowly to
	// keep: its snapshot is where the pool is now.
	Resync struct {
		After
		Lost int
	}
)

// unpublished is an event the loop has yet to publish: it gets its
// snapshot at the end of the loop's iteration.
type unpublished interface {
	Event
	with(Status) Event
}

func (e WorkerStarted) with(st Status) Event  { e.Pool = st; return e }
func (e WorkerReady) with(st Status) Event    { e.Pool = st; return e }
func (e WorkerExited) with(st Status) Event   { e.Pool = st; return e }
func (e ReloadStarted) with(st Status) Event  { e.Pool = st; return e }
func (e ReloadFinished) with(st Status) Event { e.Pool = st; return e }
func (e Scaled) with(st Status) Event         { e.Pool = st; return e }
func (e Changed) with(st Status) Event        { e.Pool = st; return e }

// emit queues an event for the end of this loop iteration.
func (s *Supervisor) emit(ev unpublished) { s.emitted = append(s.emitted, ev) }
