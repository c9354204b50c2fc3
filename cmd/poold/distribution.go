package main

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/supervisor"
)

// newGroup prepares the per-slot sockets of --distribution. It stops after
// the supervisor (it was made before it), once no worker uses them.
func newGroup(lc fx.Lifecycle, cfg config.Config, socks []activation.Socket, log *slog.Logger) (*distribute.Group, error) {
	g, err := distribute.NewGroup(cfg.Distribution, socks, log)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(g.Close))
	return g, nil
}

// runDistributor keeps the group's program in step with the pool: which
// slots exist and which have a ready worker.
func runDistributor(lc fx.Lifecycle, cfg config.Config, g *distribute.Group, sup *supervisor.Supervisor, log *slog.Logger) {
	if cfg.Distribution == distribute.Shared {
		return
	}
	changes := sup.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				follow(ctx, changes, g, sup, log)
			}()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
}

func follow(ctx context.Context, changes <-chan struct{}, g *distribute.Group, sup *supervisor.Supervisor, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sup.Done():
			return
		case <-changes:
		}
		st, err := sup.Status(ctx)
		if err != nil {
			continue // stopping
		}
		if err := g.Update(viewOf(st)); err != nil {
			log.Error("distribution: update the slot program", "err", err)
		}
	}
}

// viewOf is the part of a pool's status the distribution acts on.
func viewOf(st supervisor.Status) distribute.View {
	v := distribute.View{Target: st.Target}
	mark := func(b *[]bool, slot int) {
		for len(*b) <= slot {
			*b = append(*b, false)
		}
		(*b)[slot] = true
	}
	for _, w := range st.Workers {
		mark(&v.Occupied, w.Slot)
		if w.State == supervisor.Ready {
			mark(&v.Ready, w.Slot)
		}
	}
	return v
}
