package proc

import (
	"strconv"
	"strings"

	"github.com/poold/poold/internal/supervisor"
)

// inheritedOnlyByPoold are variables of poold's own that must not reach a
// worker: systemd's activation, notify and watchdog protocol (a worker would
// otherwise talk to systemd as if it were the service), the manager's own
// bookkeeping, and the variables poold sets per worker.
var inheritedOnlyByPoold = []string{
	"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
	"MAINPID", "MANAGERPID", "SYSTEMD_EXEC_PID", "MONOTONIC_USEC", "NODE_APP_INSTANCE",
	"WEB_CONCURRENCY",
}

func isPooldOnly(key string) bool {
	if strings.HasPrefix(key, "POOLD_") || strings.HasPrefix(key, "TRIGGER_") {
		return true
	}
	for _, k := range inheritedOnlyByPoold {
		if key == k {
			return true
		}
	}
	return false
}

// workerEnv is the worker contract's environment: poold's own environment
// without poold's protocol variables, plus the worker's. LISTEN_PID is added
// by the trampoline, which knows the PID.
func (s *Spawner) workerEnv(req supervisor.SpawnRequest, notifySocket string) []string {
	env := make([]string, 0, len(s.baseEnv)+9)
	for _, kv := range s.baseEnv {
		key, _, _ := strings.Cut(kv, "=")
		if !isPooldOnly(key) {
			env = append(env, kv)
		}
	}
	slot := strconv.Itoa(req.Slot)
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
