package distribute

import "github.com/poold/poold/internal/enum"

// Mode says how a pool's connections reach its workers.
type Mode int

const (
	// Shared: one socket for every worker; the kernel wakes whichever
	// workers wait on it. Cheapest; uneven under epoll.
	Shared Mode = iota + 1
	// Balanced: one SO_REUSEPORT socket per slot and a classic BPF program
	// that spreads connections evenly over the slots with a ready worker.
	Balanced
	// Sticky: like Balanced, but a client address always maps to the same
	// slot while that slot exists (a consistent hash of the address).
	Sticky
)

var modes = enum.Names[Mode]{What: "distribution", Type: "Mode", Names: []string{"shared", "balanced", "sticky"}}

func (m Mode) String() string { return modes.String(m) }

// ParseMode parses a --distribution value.
func ParseMode(s string) (Mode, error) { return modes.Parse(s) }
