package dbusapi

import (
	"context"
	"syscall"
)

// Backend is what the server needs from a pool. cmd/poold adapts the
// supervisor to it, so that this package does not depend on the supervisor.
type Backend interface {
	// Status is the pool and its workers now, without their memory and CPU
	// figures (see Usage). Worker paths are filled in by the server.
	Status(ctx context.Context) (Status, error)
	// Usage samples a worker's resident memory in bytes and CPU time in
	// ns; zeros when unknown. The server asks only when a client reads them,
	// not for every change it signals.
	Usage(pid uint32) (memory, cpuNSec uint64)
	Scale(ctx context.Context, workers int, allowZero bool) error
	// Reload returns once every slot runs the new generation, or the
	// rollout has stopped (an error matching ErrReloadFailed).
	Reload(ctx context.Context) (generation int, err error)
	RestartWorker(ctx context.Context, slot int) error
	// SignalWorkers signals the worker of slot, or every worker for slot -1.
	SignalWorkers(ctx context.Context, slot int, sig syscall.Signal) error
	// Broadcast sends data, one JSON value, to every worker listening on its
	// stream channel, and returns how many.
	Broadcast(ctx context.Context, data []byte) (workers int, err error)
	// PushConfig reads the worker configuration again and sends it to every
	// worker listening on its stream channel, without restarting any.
	PushConfig(ctx context.Context) (workers int, err error)
	// Upgrade checks the poold binary on disk and starts replacing the
	// running poold with it in place (same PID, sockets and workers); it
	// returns the version it starts, or why it cannot (an error matching
	// ErrBusy or ErrUpgradeFailed). The pool's LastUpgrade says how it
	// ended.
	Upgrade(ctx context.Context) (toVersion string, err error)
	// Changes is the feed of what happens to the pool. It is made before
	// the pool runs and read by one server.
	Changes() Changes
}

// Authorizer decides whether the connection with a unique bus name may
// change the pool, and says who it is, for the audit log (see access.go).
type Authorizer interface {
	Check(ctx context.Context, sender string) (Caller, error)
}

// WithKind marks err as one of the sentinel errors (ErrBusy, ...) without
// changing its message, for adapters whose errors come from elsewhere.
func WithKind(kind, err error) error {
	if err == nil {
		return nil
	}
	return &kindError{kind: kind, err: err}
}

type kindError struct{ kind, err error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }
