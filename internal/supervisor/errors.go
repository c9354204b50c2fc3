package supervisor

import "errors"

var (
	// ErrStopped is returned by requests made after the loop has ended.
	ErrStopped = errors.New("supervisor stopped")
	// ErrClosed is returned by Run after Shutdown or another Run.
	ErrClosed = errors.New("supervisor closed")
	// ErrShuttingDown is returned by changes asked for during a shutdown.
	ErrShuttingDown = errors.New("pool is shutting down")
	// ErrBusy is returned while a rollout (a reload or a worker restart) runs.
	ErrBusy = errors.New("busy")
	// ErrInvalidArgument wraps every rejected argument.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNoSuchWorker is returned by Signal when no live worker runs in the
	// slot (or in the pool, for every slot).
	ErrNoSuchWorker = errors.New("no such worker")
)
