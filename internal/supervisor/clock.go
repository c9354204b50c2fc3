package supervisor

import "github.com/poold/poold/internal/clock"

// Clock is the loop's source of time, injected so tests control it.
type Clock = clock.Clock

// SystemClock is the real clock.
type SystemClock = clock.System
