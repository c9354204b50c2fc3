package proc

import (
	"slices"
	"strconv"
	"strings"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/supervisor"
)

// pooldOnly are variables of poold's own, besides systemd's socket, notify
// and watchdog protocol (activation.StripEnv), that must not reach a
// worker: the manager's bookkeeping, and the variables poold sets per worker.
var pooldOnly = []string{
	"MAINPID", "MANAGERPID", "SYSTEMD_EXEC_PID", "MONOTONIC_USEC", "NODE_APP_INSTANCE", "WEB_CONCURRENCY",
}

// inheritable is poold's environment without what is poold's alone; the
// worker's own variables are added per worker by workerEnv.
func inheritable(env []string) []string {
	out := activation.StripEnv(env)
	return slices.DeleteFunc(out, func(kv string) bool {
		key, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(key, "POOLD_") || strings.HasPrefix(key, "TRIGGER_") || slices.Contains(pooldOnly, key)
	})
}

// workerEnv is the worker contract's environment: poold's inheritable
// environment plus the worker's own variables. LISTEN_PID is added by the
// trampoline, which knows the PID.
func (s *Spawner) workerEnv(req supervisor.SpawnRequest, notifySocket string) []string {
	env := slices.Clip(s.baseEnv) // appending must copy, not share, the base
	slot := strconv.Itoa(req.Slot)
	if s.watchdog > 0 { // WATCHDOG_PID is set by the trampoline, which knows the PID
		env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(s.watchdog.Microseconds(), 10))
	}
	if s.stopTimeout > 0 {
		env = append(env, "POOLD_STOP_TIMEOUT_MS="+strconv.FormatInt(s.stopTimeout.Milliseconds(), 10))
	}
	return append(env,
		"LISTEN_FDS="+strconv.Itoa(len(s.sockets)),
		"LISTEN_FDNAMES="+s.fdNames,
		"NOTIFY_SOCKET="+notifySocket,
		"POOLD_POOL="+s.pool,
		"POOLD_SLOT="+slot,
		"NODE_APP_INSTANCE="+slot,
		"POOLD_GENERATION="+strconv.Itoa(req.Generation),
		"POOLD_WORKER_ID="+strconv.FormatUint(uint64(req.ID), 10),
		// Each worker is one process of the pool: an app that forks
		// $WEB_CONCURRENCY processes of its own (throng, gunicorn) must not
		// multiply the pool.
		"WEB_CONCURRENCY=1",
	)
}
