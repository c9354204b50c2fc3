package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/workerlog"
)

// options wires poold. Constructors are plain functions; fx only calls them
// in dependency order and runs the lifecycle hooks. The runtime directory
// is main's: made before and removed after everything here, whether it
// started or not.
func options(cfg config.Config, log *slog.Logger, dir *rundir.Dir, tk *takeover) fx.Option {
	return fx.Options(
		fx.Supply(cfg, log, dir, tk),
		fx.WithLogger(func() fxevent.Logger { return fxLogger(log, cfg.LogLevel) }),
		// The supervisor drains workers within the stop timeout's hard cap
		// (a worker may extend its stop up to it); leave room for SIGKILL,
		// reaping and removing the runtime directory after it.
		fx.StopTimeout(supervisor.HardCap(cfg.StopTimeout)+10*time.Second),
		fx.Provide(
			activation.NewNotifier,
			newSockets,
			newHub,
			proc.NewReaper,
			newWorkerCgroups,
			newWorkerOutput,
			newGroup,
			newWorkerSpec,
			newSpawner,
			newSizing,
			newSupervisor,
			newReloader,
			newUpgrader,
			newMetricsEndpoint,
		),
		// The worker config first: a bad file stops poold before it binds
		// a socket or makes its runtime directory.
		fx.Invoke(func(*channel.Hub) {}),
		// Hooks run in this order and stop in reverse: the control plane
		// and the metrics endpoint outlive the drain.
		fx.Invoke(runOrphanReaper, runControlPlane, runMetrics, runSupervisor, followPool),
	)
}

func fxLogger(log *slog.Logger, level slog.Level) fxevent.Logger {
	if level > slog.LevelDebug {
		return fxevent.NopLogger
	}
	return &fxevent.SlogLogger{Logger: log}
}

// poolSockets are the sockets the pool serves on, and the distribution
// slots' sockets a previous poold kept in systemd's fd store.
type poolSockets struct {
	fx.Out
	Sockets   []activation.Socket
	SlotsKept keptSlots
}

// keptSlots are sockets named activation.SlotStoreName, for the group.
type keptSlots []activation.Socket

func newSockets(lc fx.Lifecycle, cfg config.Config, n *activation.Notifier, tk *takeover, log *slog.Logger) (poolSockets, error) {
	socks, kept, err := tk.sockets(cfg, n, log)
	if err != nil {
		return poolSockets{}, err
	}
	lc.Append(fx.StopHook(func() error { return activation.CloseAll(socks) }))
	return poolSockets{Sockets: socks, SlotsKept: kept}, nil
}

// newWorkerSpec is what the first generation's workers are made from.
func newWorkerSpec(cfg config.Config) config.WorkerSpec { return cfg.WorkerSpec(ownProcess()) }

// newSpawner makes the spawner, whose workers' notify sockets are bound
// again whenever the runtime directory is lost and made anew. It prepares
// the first generation's environment now: a preload that cannot be
// installed stops poold before any worker starts.
func newSpawner(cfg config.Config, spec config.WorkerSpec, socks []activation.Socket, g *distribute.Group, dir *rundir.Dir, reaper *proc.Reaper,
	hub *channel.Hub, out *workerlog.Output, cg workerCgroups, log *slog.Logger) (*proc.Spawner, error) {
	var slotSockets func(int) ([]activation.Socket, error)
	if cfg.Distribution != distribute.Shared {
		slotSockets = g.Sockets
	}
	sp, err := proc.NewSpawner(proc.Config{
		Pool:        cfg.Name,
		Sockets:     socks,
		SlotSockets: slotSockets,
		RuntimeDir:  dir.Path(),
		PrepareEnv: func(_ int, spec config.WorkerSpec) ([]string, error) {
			return workersEnv(cfg.Name, spec, dir, log)
		},
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Output:   out,
		Reaper:   reaper,
		Channels: hub,
		Cgroups:  cg.spawner(),
		Log:      log,
	})
	if err != nil {
		return nil, err
	}
	if err := sp.Prepare(1, spec); err != nil {
		return nil, err
	}
	return sp, dir.Keep(sp.RebindNotify)
}

func newSupervisor(cfg config.Config, spec config.WorkerSpec, size sizing, sp *proc.Spawner, n *activation.Notifier, cg workerCgroups,
	tk *takeover, log *slog.Logger) (*supervisor.Supervisor, error) {
	opts := supervisorOptions(cfg, size.workers)
	opts.Memory = cg.memory
	opts.Spec = spec
	sup, err := supervisor.New(opts, sp, n, log.With("pool", cfg.Name), supervisor.SystemClock{})
	if err != nil || tk.state == nil {
		return sup, err
	}
	return sup, sup.Restore(tk.state.Pool, tk.adopter(sp))
}

// runSupervisor starts the loop with a context of its own: OnStart's context
// ends when start-up does, the pool must outlive it.
func runSupervisor(lc fx.Lifecycle, sup *supervisor.Supervisor, log *slog.Logger) {
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				// ErrClosed: OnStop came before the goroutine ran.
				if err := sup.Run(context.Background()); err != nil && !errors.Is(err, supervisor.ErrClosed) {
					log.Error("supervisor", "err", err)
				}
			}()
			return nil
		},
		OnStop: sup.Shutdown,
	})
}

// runOrphanReaper reaps re-parented orphans when poold is PID 1 of a
// container; anywhere else the init system does it.
func runOrphanReaper(lc fx.Lifecycle, r *proc.Reaper) {
	if os.Getpid() != 1 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(done); r.RunOrphanReaper(ctx) }()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
}
