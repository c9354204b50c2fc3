package main

import (
	"context"
	"log/slog"
	"sync/atomic"

	"go.uber.org/fx"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/metrics"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/supervisor"
)

// runMetrics serves --metrics-listen. The socket is bound at start, so an
// address in use stops start-up before any worker runs; the endpoint starts
// before the supervisor and stops after it, so that scrapes see the drain.
func runMetrics(lc fx.Lifecycle, cfg config.Config, sup *supervisor.Supervisor, hub *channel.Hub, sp *proc.Spawner,
	ep *metricsEndpoint, tk *takeover, log *slog.Logger) error {
	if cfg.MetricsListen.Network == "" {
		return nil
	}
	col := metrics.New(cfg.Name, metrics.Options{Pool: sup, Channels: hub, NotifyRefused: sp.NotifyRefused})
	reg, err := metrics.NewRegistry(col)
	if err != nil {
		return err
	}
	events := sup.Events() // before the loop runs: no reload is missed
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan struct{})
	var srv *metrics.Server
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			var err error
			if srv, err = tk.metrics(cfg, metrics.Handler(reg, log), log); err != nil {
				cancel()
				return err
			}
			ep.srv.Store(srv)
			log.Info("metrics endpoint", "pool", cfg.Name, "network", srv.Network(), "addr", srv.Addr(), "path", metrics.Path)
			srv.Start()
			go func() { defer close(followed); col.Follow(ctx, events, sup.Done()) }()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			<-followed
			return srv.Stop(stopCtx)
		},
	})
	return nil
}

// metricsEndpoint is the --metrics-listen server once it started, for an
// upgrade to hand over; it holds nil without one.
type metricsEndpoint struct {
	srv atomic.Pointer[metrics.Server]
}

func newMetricsEndpoint() *metricsEndpoint { return &metricsEndpoint{} }
