package dbusapi

// Change is one thing that happened in the pool, with the pool as it was
// right after it (worker paths not yet filled in).
type Change struct {
	Kind   ChangeKind
	Worker uint64 // the worker added or removed
	Status Status
}

// ChangeKind says what a Change is.
type ChangeKind int

const (
	// ChangeProperties: properties of the pool or its workers changed.
	ChangeProperties ChangeKind = iota
	// ChangeWorkerAdded: Worker was started.
	ChangeWorkerAdded
	// ChangeWorkerRemoved: Worker was reaped.
	ChangeWorkerRemoved
	// ChangeResync: changes were lost; Status is the pool now.
	ChangeResync
)

// Changes is the pool's feed of changes, in order.
type Changes interface {
	// Ready receives when changes are waiting.
	Ready() <-chan struct{}
	// Take returns the waiting changes, oldest first.
	Take() []Change
}
