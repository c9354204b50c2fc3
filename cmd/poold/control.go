package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"

	"go.uber.org/fx"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/controlbus"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/supervisor"
)

// sizing is the worker count poold started with and why.
type sizing struct {
	workers int
	reason  string
}

func newSizing(cfg config.Config, log *slog.Logger) sizing {
	limits, err := cgroup.Read()
	if err != nil {
		log.Warn("cgroup limits unreadable; sizing from CPU affinity alone", "err", err)
	}
	workers, reason := resolveWorkers(cfg, limits, runtime.NumCPU())
	log.Info("worker count", "pool", cfg.Name, "workers", workers, "reason", reason)
	return sizing{workers: workers, reason: reason}
}

// controlPlaneGroup may change any pool, besides root and the pool's owner.
const controlPlaneGroup = "poold"

// controlPlane is the pool's D-Bus server and its connection.
type controlPlane struct {
	conn *controlbus.Conn
	srv  *dbusapi.Server
}

// runControlPlane serves the pool on D-Bus. It starts before the supervisor
// and stops after it, so that poolctl sees the drain. A bus that cannot be
// reached leaves the pool running without a control plane; another pool of
// the same name on the bus stops start-up.
func runControlPlane(lc fx.Lifecycle, cfg config.Config, sup *supervisor.Supervisor, size sizing,
	socks []activation.Socket, hub *channel.Hub, wc workerConfig, rl *reloader, dir *rundir.Dir, cg workerCgroups, up *upgrader, log *slog.Logger) {
	backend := newBackend(cfg, sup, size, socks, hub, wc, cg)
	backend.upgrades, backend.reload, backend.size = up, rl, rl.size
	var cp *controlPlane
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			var err error
			cp, err = startControlPlane(ctx, cfg, backend, dir, log)
			switch {
			case errors.Is(err, dbusapi.ErrNameTaken):
				return err
			case err != nil:
				log.Warn("no control plane: poolctl cannot reach this pool", "err", err)
			case cp != nil:
				up.serveBus(cp.conn.DaemonPidFD)
			}
			return nil
		},
		OnStop: func(context.Context) error {
			if cp == nil {
				return nil
			}
			return errors.Join(cp.srv.Stop(), cp.conn.Close())
		},
	})
}

// startControlPlane serves the pool on the bus controlbus.Serve picks; nil with
// --bus none.
func startControlPlane(ctx context.Context, cfg config.Config, backend *backend, dir *rundir.Dir, log *slog.Logger) (*controlPlane, error) {
	var srv *dbusapi.Server
	conn, err := controlbus.Serve(ctx, controlbus.Options{
		Mode:         cfg.Bus,
		UnderSystemd: systemdUnit() != "",
		RuntimeDir:   dir.Path(),
		Getenv:       os.Getenv,
		Log:          log,
	}, func(c *controlbus.Conn) error {
		auth := dbusapi.NewAuthorizer(c.Conn, os.Getuid(), controlPlaneGroup)
		srv = dbusapi.NewServer(c.Conn, c.Kind, cfg.Name, backend, auth, newAuditor(log), log)
		return srv.Start()
	})
	if err != nil || conn == nil {
		return nil, err
	}
	return &controlPlane{conn: conn, srv: srv}, nil
}
