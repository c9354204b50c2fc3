package bench

import (
	"math"
	"slices"
)

// Spread is the median of some repetitions and their range.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Summarize returns the median, minimum and maximum of xs (the mean of the
// two middle values for an even count); zero for none.
func Summarize(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Spread{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Ratio is a/b, NaN when b is zero.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// Imbalance is the largest share over the smallest of per-worker values
// (CPU seconds): 1 is even; +Inf when a worker got nothing.
func Imbalance(xs []float64) float64 {
	if len(xs) < 2 {
		return 1
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	if lo <= 0 {
		return math.Inf(1)
	}
	return hi / lo
}
