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

// newGroup prepares the per-slot sockets of --distribution, keeping them
// in systemd's fd store and taking back those a previous poold kept. It
// stops after the supervisor (it was made before it), once no worker uses
// them.
func newGroup(lc fx.Lifecycle, cfg config.Config, socks []activation.Socket, kept keptSlots, n *activation.Notifier, tk *takeover,
	log *slog.Logger) (*distribute.Group, error) {
	g, err := distribute.NewGroup(cfg.Distribution, socks, log, distribute.Keep{Store: n, Stored: kept, Handed: tk.group()})
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(g.Close))
	return g, nil
}

// followPool keeps what depends on the pool's workers in step with them:
// the distribution's program (which slots exist and which have a ready
// worker), from the loop itself so that it follows a worker's readiness
// before the pool is announced ready; and, from the pool's events, the
// backlog of the sockets of workers that became ready.
func followPool(lc fx.Lifecycle, cfg config.Config, g *distribute.Group, sup *supervisor.Supervisor, log *slog.Logger) error {
	// A shared socket has no program: the loop need not take snapshots for it.
	if cfg.Distribution != distribute.Shared {
		err := sup.Steer(func(st supervisor.Status) {
			if err := g.Update(viewOf(st)); err != nil {
				log.Error("distribution: update the slot program", "err", err)
			}
		})
		if err != nil {
			return err
		}
	}
	events := sup.Events()
	keeper := newBacklogKeeper(g.Sockets, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				follow(ctx, events, sup.Done(), keeper.update)
			}()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
	return nil
}

// follow calls act with the pool's latest snapshot each time events
// arrive, until ctx ends or done (the supervisor's Done) is closed: what
// the events carry is the pool's state, so it asks the loop for nothing.
func follow(ctx context.Context, events *supervisor.Subscription, done <-chan struct{}, act func(supervisor.Status)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-events.Ready():
		}
		if evs := events.Take(); len(evs) > 0 {
			act(evs[len(evs)-1].Snapshot())
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
