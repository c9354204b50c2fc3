package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/supervisor"
)

// reloader carries out a reload (SIGHUP, D-Bus Reload, poolctl reload,
// systemctl reload): it reads poold's configuration again, as at start
// (its arguments, the config file, the env files), refuses what a reload
// cannot change, pushes the worker config, rolls out a generation made
// from the new worker spec and, once that succeeded, scales the pool when
// the worker count changed. A reload that is refused changes nothing.
type reloader struct {
	args []string // poold's, without the program name
	unit string   // poold's systemd service, for the restart it names; "" outside systemd
	wc   workerConfig
	sup  *supervisor.Supervisor
	cg   workerCgroups
	log  *slog.Logger

	mu      sync.Mutex    // one reload at a time; guards current
	current config.Config // what the pool runs: the start's, then the last reload's that succeeded
	// sized is the worker count the configuration asks for and why: the
	// start's, then a reload's that scaled the pool.
	sized atomic.Pointer[sizing]
}

func newReloader(cfg config.Config, size sizing, wc workerConfig, sup *supervisor.Supervisor, cg workerCgroups, log *slog.Logger) *reloader {
	r := &reloader{args: os.Args[1:], unit: systemdUnit(), current: cfg, wc: wc, sup: sup, cg: cg, log: log}
	r.sized.Store(&size)
	return r
}

// size is the worker count the configuration asks for and why, for
// status: the start's, or the last reload's that changed it.
func (r *reloader) size() sizing { return *r.sized.Load() }

// running is the configuration the pool runs, for an upgrade to hand
// over: a reload under way is refused by the freeze, so waiting for it is
// short.
func (r *reloader) running() config.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// errReloadRunning: another reload is reading the configuration.
var errReloadRunning = errors.New("another reload is in progress")

// reload reads the configuration again and rolls the workers to it,
// returning the pool's generation.
func (r *reloader) reload(ctx context.Context) (int, error) {
	if !r.mu.TryLock() {
		return 0, dbusapi.WithKind(dbusapi.ErrBusy, errReloadRunning)
	}
	defer r.mu.Unlock()
	next, err := r.read()
	if err != nil {
		return 0, dbusapi.WithKind(dbusapi.ErrReloadFailed, err)
	}
	if _, err := r.wc.push(); err != nil {
		return 0, dbusapi.WithKind(dbusapi.ErrReloadFailed, err)
	}
	if err := r.retune(ctx, next); err != nil {
		return 0, err
	}
	gen, err := r.sup.ReloadWith(ctx, next.WorkerSpec(ownProcess()))
	if err != nil {
		return gen, err
	}
	if err := r.scale(ctx, next); err != nil {
		return gen, fmt.Errorf("reloaded to generation %d, but %w", gen, err)
	}
	r.current = next
	return gen, nil
}

// read parses the configuration again and checks that a reload can apply
// it: the error names the file and line of a bad one, or the settings
// that need a restart.
func (r *reloader) read() (config.Config, error) {
	next, err := config.Parse(r.args, os.Getenv, io.Discard)
	if err != nil {
		return next, fmt.Errorf("reload refused, nothing changed: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if next.Name == "" {
		next.Name = r.current.Name // derived at start, from the unit or the command
	}
	if changed := config.NeedRestart(r.current, next); len(changed) > 0 {
		return next, fmt.Errorf("reload refused, nothing changed: %s; %s", joinChanges(changed), r.restartHint(len(changed)))
	}
	if err := proc.CheckCommand(next.Command[0], os.Getenv("PATH")); err != nil {
		return next, fmt.Errorf("reload refused, nothing changed: %w", err)
	}
	if next.WorkerMemoryMax > 0 && !r.cg.hasMemory() {
		return next, fmt.Errorf("reload refused, nothing changed: worker-memory-max needs per-worker cgroups with the memory controller, which this poold does not have (%s)", r.cg.summary)
	}
	return next, nil
}

func joinChanges(changed []config.Changed) string {
	parts := make([]string, len(changed))
	for i, c := range changed {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// restartHint says what applies the settings a reload refused.
func (r *reloader) restartHint(n int) string {
	verb := "it needs"
	if n > 1 {
		verb = "they need"
	}
	if r.unit != "" {
		return fmt.Sprintf("%s systemctl restart %s", verb, r.unit)
	}
	return verb + " a restart of poold"
}

// retune gives the supervisor next's ready timeout, max-unavailable,
// restart delays and recycling thresholds, before the rollout, which uses
// them.
func (r *reloader) retune(ctx context.Context, next config.Config) error {
	n, _ := r.workers(next)
	opts := supervisorOptions(next, n)
	return r.sup.Retune(ctx, supervisor.Tunables{ReadyTimeout: opts.ReadyTimeout, MaxUnavailable: opts.MaxUnavailable,
		Backoff: opts.Backoff, Health: opts.Health})
}

// workers is the worker count next says and why: its number, or auto
// worked out again from the cgroup.
func (r *reloader) workers(next config.Config) (int, string) {
	var limits cgroup.Limits
	if next.Workers.Auto {
		var err error
		if limits, err = cgroup.Read(); err != nil {
			r.log.Warn("cgroup limits unreadable; sizing from CPU affinity alone", "err", err)
		}
	}
	return resolveWorkers(next, limits, runtime.NumCPU())
}

// scale moves the pool to next's worker count when the configuration's
// count changed; a count set by poolctl scale since stays otherwise.
func (r *reloader) scale(ctx context.Context, next config.Config) error {
	was, now := r.current.Workers, next.Workers
	if was.Auto == now.Auto && was.N == now.N {
		return nil
	}
	n, reason := r.workers(next)
	if err := r.sup.Scale(ctx, n, supervisor.RefuseZero); err != nil {
		return fmt.Errorf("the scale to %d workers failed: %w", n, err)
	}
	r.sized.Store(&sizing{workers: n, reason: reason})
	r.log.Info("reload scaled the pool", "workers", n, "from", now.From)
	return nil
}
