package distribute

import "fmt"

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

var modeNames = map[Mode]string{Shared: "shared", Balanced: "balanced", Sticky: "sticky"}

func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses a --distribution value.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("distribution %q: want shared, balanced or sticky", s)
}
