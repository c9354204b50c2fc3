package supervisor

import "errors"

// ErrStopped is returned by requests made after the loop has ended.
var ErrStopped = errors.New("supervisor stopped")
