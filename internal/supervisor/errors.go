package supervisor

import "errors"

var (
	// ErrStopped is returned by requests made after the loop has ended.
	ErrStopped = errors.New("supervisor stopped")
	// ErrShuttingDown is returned by changes asked for during a shutdown.
	ErrShuttingDown = errors.New("pool is shutting down")
	// ErrBusy is returned while a reload runs.
	ErrBusy = errors.New("busy")
	// ErrInvalidArgument wraps every rejected argument.
	ErrInvalidArgument = errors.New("invalid argument")
)
