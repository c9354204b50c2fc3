package supervisor

import (
	"math"
	"time"
)

// HardCap is how long a phase with the given timeout (--ready-timeout for a
// start, --stop-timeout for a stop) may last with every extension a worker
// asks for: twice the timeout. Under systemd EXTEND_TIMEOUT_USEC= has no
// end; here it must have one, or a worker that asks for 2^64-1 µs while
// stopping would never get its SIGKILL, and poold's drain would never end.
// It saturates far below the largest Duration, so that adding a margin to
// it cannot overflow.
func HardCap(timeout time.Duration) time.Duration {
	return 2 * min(timeout, math.MaxInt64/4)
}

// arm starts a phase of w that ends timeout from now unless w extends it.
func (w *worker) arm(now time.Time, timeout time.Duration) {
	w.deadline = now.Add(timeout)
	w.hardCap = now.Add(HardCap(timeout))
}

// extend moves w's deadline to d from now, if that is later, but not past
// the phase's hard cap; it reports whether the cap cut the extension. A
// worker without a deadline has been sent SIGKILL: there is nothing left
// to extend.
func (w *worker) extend(now time.Time, d time.Duration) (capped bool) {
	if w.deadline.IsZero() {
		return false
	}
	if left := w.hardCap.Sub(now); d > left {
		d, capped = left, true
	}
	if ext := now.Add(d); ext.After(w.deadline) {
		w.deadline = ext
	}
	return capped
}
