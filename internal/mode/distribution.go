package mode

import "github.com/poold/poold/internal/enum"

// Distribution says how a pool's connections reach its workers
// (--distribution).
type Distribution int

const (
	// Shared: one socket for every worker; the kernel wakes whichever
	// workers wait on it. Cheapest; uneven under epoll.
	Shared Distribution = iota + 1
	// Balanced: one SO_REUSEPORT socket per slot and a classic BPF program
	// that spreads connections evenly over the slots with a ready worker.
	Balanced
	// Sticky: like Balanced, but a client address always maps to the same
	// slot while that slot exists (a consistent hash of the address).
	Sticky
)

var distributions = enum.Names[Distribution]{What: "distribution", Type: "Mode", Names: []string{"shared", "balanced", "sticky"}}

func (m Distribution) String() string { return distributions.String(m) }

// ParseDistribution parses a --distribution value.
func ParseDistribution(s string) (Distribution, error) { return distributions.Parse(s) }
