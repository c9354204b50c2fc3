package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

func (a *app) reloadCmd() *cobra.Command {
	var configOnly bool
	cmd := &cobra.Command{
		Use:   "reload NAME",
		Short: "Roll a pool over to a new generation of workers",
		Long: `Start a new generation of workers in pool NAME, slot by slot: each new worker
starts beside the old one of its slot, which drains and stops once the new one
is ready, so that the pool keeps serving.

The pool reads its configuration again first (its command line, --config,
--env-file): the new generation runs the command and environment they say
now, and a changed worker count scales the pool once the reload succeeded.
A bad file, or a change of a setting that needs a restart (the sockets, the
distribution, the bus...), fails the reload with the file and line or the
setting named, and changes nothing. When a new command or environment
cannot start, the slots already replaced are rolled back to the old one
before the reload fails, so the pool does not stay mixed.

poolctl prints each slot as its new worker becomes ready and returns once
every slot runs the new generation, or exits 1 with the pool's reason when
the reload fails: the first new worker that exits or is not ready within the
pool's --ready-timeout ends it, the slots not yet replaced keep their old
workers, and the pool keeps its generation. A slot without a running worker
(crash-looping after a bad deploy) gets its new worker at once, without
waiting out its restart delay, and the reload waits for it too. So a reload
always ends, within the ready timeout of its last new worker (plus the
stop timeout with --max-unavailable); poolctl waits as long as it takes
unless --timeout is given, which makes it fit for ExecReload= in a unit
file.

A pool started with --worker-config FILE reads FILE again first and sends
it to the running workers; a FILE that is not a regular file of at most
1 MiB or not valid JSON fails the reload before any worker is replaced. With --config-only, poolctl only has the
file read and sent, and no worker is restarted.`,
		Example: "  poolctl reload express\n  poolctl reload express --config-only\n\n  # in myapp.service:\n  ExecReload=/usr/bin/poolctl reload myapp",
		Args: func(cmd *cobra.Command, args []string) error {
			return wantArgs(cmd, args, 1, 1, "a pool name")
		},
		ValidArgsFunction: a.completeNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if configOnly {
				return a.withPool(cmd.Context(), args[0], 0, a.pushConfig)
			}
			return a.withPool(cmd.Context(), args[0], 0, a.reload)
		},
	}
	cmd.Flags().BoolVar(&configOnly, "config-only", false, "send the worker configuration again without restarting workers")
	return cmd
}

func (a *app) pushConfig(ctx context.Context, p *dbusapi.Pool) error {
	n, err := p.PushConfig(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: worker config sent to %s\n", p.Name, plural.Of(int(n), "worker"))
	return nil
}

// reload follows the pool's signals while Reload runs: on each event that
// may be a worker becoming ready, it reads the pool and prints the workers of
// the new generation that are ready and were not printed yet.
func (a *app) reload(ctx context.Context, p *dbusapi.Pool) error {
	before, err := p.Status(ctx)
	if err != nil {
		return err
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	events, err := p.Watch(watchCtx) // before Reload, so that no event is missed
	if err != nil {
		a.warnf("%s: cannot follow the reload's progress: %v", p.Name, err)
	}
	done := startReload(ctx, p)
	progress := newProgress(a.stdout, newestGeneration(before))
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil // the watch ended; wait for Reload alone
				continue
			}
			if mayBeReady(ev) {
				if st, err := p.Status(ctx); err == nil {
					progress.update(st)
				}
			}
		case r := <-done:
			if r.err != nil {
				return r.err
			}
			if st, err := p.Status(ctx); err == nil {
				progress.update(st)
			}
			fmt.Fprintf(a.stdout, "%s: reloaded to generation %d\n", p.Name, r.gen)
			return nil
		}
	}
}

type reloadResult struct {
	gen uint32
	err error
}

// startReload calls Reload in a goroutine that ends when the call does
// (ctx ends it early) and sends the result on the channel.
func startReload(ctx context.Context, p *dbusapi.Pool) <-chan reloadResult {
	done := make(chan reloadResult, 1)
	go func() {
		gen, err := p.Reload(ctx)
		done <- reloadResult{gen, err}
	}()
	return done
}

// mayBeReady: a new worker, or a worker whose state may have changed (not
// one that only sent a heartbeat or had its memory read).
func mayBeReady(ev dbusapi.Event) bool {
	switch ev.Kind {
	case dbusapi.WorkerNew:
		return true
	case dbusapi.WorkerChanged:
		_, state := ev.Changed["State"]
		return state || len(ev.Changed) == 0
	}
	return false
}

// newestGeneration is the highest generation the pool or one of its
// workers has: after a failed reload, workers it started keep a generation
// above the pool's, and are not the next reload's.
func newestGeneration(st dbusapi.Status) uint32 {
	gen := st.Pool.Generation
	for _, w := range st.Workers {
		gen = max(gen, w.Generation)
	}
	return gen
}

// progress prints each worker newer than a generation once, when ready.
type progress struct {
	w       io.Writer
	oldGen  uint32
	printed map[uint64]bool // worker IDs
}

func newProgress(w io.Writer, oldGen uint32) *progress {
	return &progress{w: w, oldGen: oldGen, printed: map[uint64]bool{}}
}

func (p *progress) update(st dbusapi.Status) {
	for _, k := range st.Workers {
		if k.Generation <= p.oldGen || k.State != "ready" || p.printed[k.ID] {
			continue
		}
		p.printed[k.ID] = true
		fmt.Fprintf(p.w, "slot %d: worker %d ready (generation %d)\n", k.Slot, k.PID, k.Generation)
	}
}
