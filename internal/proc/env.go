package proc

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/supervisor"
)

// pooldOnly are variables of poold's own, besides systemd's socket, notify
// and watchdog protocol (activation.StripEnv), that must not reach a
// worker: the manager's bookkeeping, and the variables poold sets per worker.
var pooldOnly = []string{
	"MAINPID", "MANAGERPID", "SYSTEMD_EXEC_PID", "MONOTONIC_USEC", "NODE_APP_INSTANCE", "WEB_CONCURRENCY",
}

// Inheritable is poold's environment without what is poold's alone: what
// a worker may start from. The worker's own variables are added per worker
// by workerEnv.
func Inheritable(env []string) []string {
	out := activation.StripEnv(env)
	return slices.DeleteFunc(out, func(kv string) bool {
		key, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(key, "POOLD_") || strings.HasPrefix(key, "TRIGGER_") || slices.Contains(pooldOnly, key)
	})
}

// Prepare makes the environment the workers of generation gen, made from
// spec, start from, as Spawn would at their first spawn: a caller that
// wants a failure before any worker starts calls it first.
func (s *Spawner) Prepare(gen int, spec config.WorkerSpec) error {
	_, err := s.baseEnv(supervisor.SpawnRequest{Generation: gen, Spec: spec})
	return err
}

// baseEnv is what the workers of req's generation start from: its spec's
// environment, prepared once per generation, without poold's own
// variables.
func (s *Spawner) baseEnv(req supervisor.SpawnRequest) ([]string, error) {
	if env, ok := s.envs.get(req.Generation, req.Spec); ok {
		return env, nil
	}
	env := req.Spec.Env
	if s.prepareEnv != nil {
		var err error
		if env, err = s.prepareEnv(req.Generation, req.Spec); err != nil {
			return nil, err
		}
	}
	env = Inheritable(env)
	if s.output != nil {
		env = withoutJournalStream(env)
	}
	s.envs.put(req.Generation, req.Spec, env)
	return env, nil
}

// generationEnvs keeps the prepared environments of the last few
// generations: those a reload, its rollback and a crash restart spawn. An
// entry counts for its spec only: a poold that took a pool over in an
// upgrade may have prepared a generation of that number from another.
type generationEnvs struct {
	mu      sync.Mutex
	entries []generationEnv
}

type generationEnv struct {
	generation int
	spec       config.WorkerSpec
	env        []string
}

const keptEnvs = 4

func (g *generationEnvs) get(gen int, spec config.WorkerSpec) ([]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range g.entries {
		if e.generation == gen && reflect.DeepEqual(e.spec, spec) {
			return e.env, true
		}
	}
	return nil, false
}

func (g *generationEnvs) put(gen int, spec config.WorkerSpec, env []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = slices.DeleteFunc(g.entries, func(e generationEnv) bool { return e.generation == gen })
	g.entries = append(g.entries, generationEnv{gen, spec, env})
	if len(g.entries) > keptEnvs {
		g.entries = slices.Delete(g.entries, 0, len(g.entries)-keptEnvs)
	}
}

// workerEnv is the worker contract's environment: poold's inheritable
// environment plus the worker's own variables. LISTEN_PID is added by the
// trampoline, which knows the PID.
func (s *Spawner) workerEnv(req supervisor.SpawnRequest, base []string, notifySocket string) []string {
	env := slices.Clip(base) // appending must copy, not share, the base
	slot := strconv.Itoa(req.Slot)
	spec := req.Spec
	if spec.Watchdog > 0 { // WATCHDOG_PID is set by the trampoline, which knows the PID
		env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(spec.Watchdog.Microseconds(), 10))
	}
	if spec.StopTimeout > 0 {
		env = append(env, "POOLD_STOP_TIMEOUT_MS="+strconv.FormatInt(spec.StopTimeout.Milliseconds(), 10))
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
