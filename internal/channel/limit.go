package channel

import "time"

// Broadcasts per worker: a burst of broadcastBurst, refilled at
// broadcastRate a second.
const (
	broadcastRate  = 100
	broadcastBurst = 100
)

// bucket is a token bucket; its owner serializes calls.
type bucket struct {
	tokens float64
	last   time.Time
}

func newBucket(now time.Time) *bucket {
	return &bucket{tokens: broadcastBurst, last: now}
}

// take spends one token if there is one.
func (b *bucket) take(now time.Time) bool {
	b.tokens = min(broadcastBurst, b.tokens+now.Sub(b.last).Seconds()*broadcastRate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
