package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/poold/poold/dbusapi"
)

// minTopInterval keeps --interval from turning top into a busy loop on the
// pool.
const minTopInterval = 100 * time.Millisecond

type topOptions struct {
	interval   time.Duration
	iterations int // frames to print without the full-screen view; 0: the view on a terminal, else 1
}

func (a *app) topCmd() *cobra.Command {
	o := topOptions{interval: time.Second}
	cmd := &cobra.Command{
		Use:   "top NAME",
		Short: "Watch a pool's workers live",
		Long: `Show pool NAME and its workers on the whole terminal, kept up to date: the
pool's state, ready and target worker counts, generation and bus, then one
row per worker, by slot: its PID, state, generation, uptime, restarts, last
heartbeat, memory (MEM: its cgroup's when it has one, else its resident
memory), CPU use in percent of one CPU, what it
last reported on its stream channel (99th percentile of event-loop delay,
heap in use, requests handled) and the requests it handles per second, and
its status text, escaped as poolctl status prints it and cut to fit the
terminal.

Workers that start, stop or change state show at once: top follows the
pool's D-Bus signals. The figures that change all the time (memory, CPU,
heartbeat, metrics) are read again every --interval. CPU% is worked out
between two reads, req/s between two metrics reports of the worker (Node.js
workers send one every 5 seconds): both show "-" until top has two.

Press q or Ctrl-C to quit. When the pool goes away (poold stopped), top
says so and exits with status 1. A read that fails otherwise (--timeout
bounds each, 30s by default) is shown and tried again.

With -H HOST, top runs on HOST through "ssh -t" when poolctl runs on a
terminal, so that the view is live there too.

When standard output is not a terminal, or with --iterations N, top prints
one frame (N frames, --interval apart) below the last, without the
full-screen view or (unless on a terminal) colours, and exits, like top -b:
for scripts and logs.`,
		Example: "  poolctl top express\n  poolctl top express --interval 5s\n" +
			"  poolctl top express --iterations 3 > samples.txt\n  poolctl -H admin@web1 top express",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := wantArgs(cmd, args, 1, 1, "a pool name"); err != nil {
				return err
			}
			if o.interval < minTopInterval {
				return usagef("--interval %v is too short: %v at least", o.interval, minTopInterval)
			}
			if o.iterations < 0 {
				return usagef("--iterations cannot be negative")
			}
			return nil
		},
		ValidArgsFunction: a.completeNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.top(cmd.Context(), args[0], o)
		},
	}
	cmd.Flags().DurationVar(&o.interval, "interval", o.interval, "read memory, CPU and metrics again every `DURATION`")
	cmd.Flags().IntVar(&o.iterations, "iterations", 0, "print `N` frames one below the other and exit (default: the live view on a terminal, else 1 frame)")
	return cmd
}

func (a *app) top(ctx context.Context, name string, o topOptions) error {
	b := a.connect(ctx)
	defer b.close()
	p, err := a.findPool(ctx, b, name)
	if err != nil {
		return err
	}
	if out, ok := a.liveTerminal(o); ok {
		return a.topLive(ctx, p, out, o)
	}
	return a.topFrames(ctx, p, o)
}

// findPool is the pool called name, looked for within --timeout (30s by
// default).
func (a *app) findPool(ctx context.Context, b *buses, name string) (*dbusapi.Pool, error) {
	ctx, cancel := a.withTimeout(ctx, readTimeout)
	defer cancel()
	return pick(a.pools(ctx, b), name, b)
}

// liveTerminal is stdout when top shows its full-screen view there: a
// terminal that understands escape codes, and no --iterations.
func (a *app) liveTerminal(o topOptions) (*os.File, bool) {
	f, ok := a.stdout.(*os.File)
	if !ok || o.iterations > 0 || !term.IsTerminal(int(f.Fd())) || a.getenv("TERM") == "dumb" {
		return nil, false
	}
	return f, true
}

// topFrames prints --iterations frames (1 by default), --interval apart,
// one below the other; as wide as the terminal, and in colour, when stdout
// is one.
func (a *app) topFrames(ctx context.Context, p *dbusapi.Pool, o topOptions) error {
	n := max(o.iterations, 1)
	s := topScreen{color: a.color()}
	if f, ok := a.stdout.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			s.width = w
		}
	}
	if n > 1 {
		s.interval = o.interval
	}
	var m topModel
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil // interrupted between frames: what was printed stands
			case <-time.After(o.interval):
			}
			fmt.Fprintln(a.stdout)
		}
		st, at, err := a.readTop(ctx, p)
		if err != nil {
			return poolGone(p, err, false)
		}
		m = nextTop(m, st, p.Bus().Address, at, rateWindow(o.interval))
		if _, err := fmt.Fprintln(a.stdout, strings.Join(renderTop(m, s), "\n")); err != nil {
			return err
		}
	}
	return nil
}

// readTop reads the pool within --timeout (30s by default), and says when.
func (a *app) readTop(ctx context.Context, p *dbusapi.Pool) (dbusapi.Status, time.Time, error) {
	ctx, cancel := a.withTimeout(ctx, readTimeout)
	defer cancel()
	st, err := p.Status(ctx)
	return st, a.now(), err
}

// rateWindow is the shortest time CPU% is worked out over: reads closer
// together, which the pool's signals cause, keep the last figure.
func rateWindow(interval time.Duration) time.Duration { return interval * 3 / 4 }

// poolGone is the error for a read that failed: the pool went away when it
// is no longer on its bus, or when the bus itself is gone (disconnected:
// the watch on its signals ended, as when the private bus of a pool run by
// hand goes with it).
func poolGone(p *dbusapi.Pool, err error, disconnected bool) error {
	kind := p.Bus().Address.Kind
	switch {
	case isGone(err):
		return fmt.Errorf("%s: the pool went away: it is no longer on the %s bus", p.Name, kind)
	case disconnected:
		return fmt.Errorf("%s: the pool went away: the %s bus closed the connection", p.Name, kind)
	}
	return poolError(p.Name, err)
}

// sshTerminal is the ssh option for the remote side of poolctl -H: no
// terminal (-T), except for top run from a terminal, whose live view needs
// one there (-t: ssh passes on the window size and its changes).
func sshTerminal(args []string, io stdio) string {
	if remoteCommand(args) != "top" || !isTerminal(io.stdin) || !isTerminal(io.stdout) {
		return "-xT"
	}
	return "-xt"
}

// remoteCommand is the command word in args (without -H): the first
// argument that is not a flag or the value of --timeout.
func remoteCommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch arg := args[i]; {
		case arg == "--timeout":
			i++
		case arg == "--":
			return ""
		case !strings.HasPrefix(arg, "-"):
			return arg
		}
	}
	return ""
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
