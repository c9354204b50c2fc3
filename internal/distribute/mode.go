package distribute

import "github.com/poold/poold/internal/mode"

// Mode says how a pool's connections reach its workers (mode.Distribution).
type Mode = mode.Distribution

const (
	Shared   = mode.Shared
	Balanced = mode.Balanced
	Sticky   = mode.Sticky
)

// ParseMode parses a --distribution value.
func ParseMode(s string) (Mode, error) { return mode.ParseDistribution(s) }
