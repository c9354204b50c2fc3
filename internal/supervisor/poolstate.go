package supervisor

import "fmt"

// PoolState is the pool's condition as a whole.
type PoolState int

const (
	// PoolStarting: READY=1 has not yet been told (fewer than MinReady
	// workers have been ready at once since the start).
	PoolStarting PoolState = iota + 1
	// PoolRunning: every slot of the target has a ready worker.
	PoolRunning
	// PoolReloading: a Reload runs. A RestartWorker shows as running or
	// degraded, as its ready count makes it.
	PoolReloading
	// PoolDegraded: after the start, fewer than the target workers are
	// ready, and no slot is crash-looping.
	PoolDegraded
	// PoolStopping: the pool is shutting down.
	PoolStopping
	// PoolCrashLooping: fewer than the target workers are ready and a slot
	// is crash-looping, whether or not the pool was ever ready.
	PoolCrashLooping
)

var poolStateNames = map[PoolState]string{
	PoolStarting: "starting", PoolRunning: "running", PoolReloading: "reloading",
	PoolDegraded: "degraded", PoolStopping: "stopping", PoolCrashLooping: "crash-looping",
}

func (p PoolState) String() string {
	if s, ok := poolStateNames[p]; ok {
		return s
	}
	return fmt.Sprintf("PoolState(%d)", int(p))
}

func (s *Supervisor) poolState(ready int) PoolState {
	switch {
	case s.shuttingDown:
		return PoolStopping
	case s.rollout != nil && s.rollout.kind == reloadRollout && s.toldReady:
		return PoolReloading
	case ready < s.target && s.crashLooping():
		return PoolCrashLooping
	case !s.toldReady:
		return PoolStarting
	case ready < s.target:
		return PoolDegraded
	}
	return PoolRunning
}
