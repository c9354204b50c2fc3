package supervisor

import (
	"fmt"
	"time"
)

// Backoff spaces out restarts of a slot whose workers keep failing.
type Backoff struct {
	Initial time.Duration // delay after the first failure
	Max     time.Duration // the delay never grows past this
	// StableAfter is how long a worker must stay ready for its slot's
	// failure count to reset.
	StableAfter time.Duration
}

func (b Backoff) validate() error {
	if b.Initial <= 0 || b.Max < b.Initial || b.StableAfter <= 0 {
		return fmt.Errorf("backoff %v..%v: want 0 < initial <= max, and a positive stable-after", b.Initial, b.Max)
	}
	return nil
}

// Delay returns the wait before the next start after the given number of
// consecutive failures: none after zero, then Initial doubling up to Max.
func (b Backoff) Delay(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := b.Initial
	for i := 1; i < failures; i++ {
		if d >= b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}
