package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
)

const logsLong = `Show what the workers of pool NAME write to their stdout and stderr, or
those of slot SLOT only, from the journal: poolctl runs journalctl with the
pool's unit (the unit of its poold's cgroup) and the fields poold gives each
line, POOLD_POOL=NAME and POOLD_SLOT=SLOT, and journalctl's -f and -n. With
--verbose it prints that command first; add journalctl's other options by
running it yourself.

Reading the system journal, where a pool that systemd runs has its lines,
takes root or the systemd-journal or adm group; poolctl says so, rather than
showing journalctl's error, when this user may not read it.

This needs poold to send the workers' lines to the journal: the default
(worker-logs auto) when poold runs under systemd, or worker-logs journal.
Otherwise the lines are on poold's stderr, where poolctl cannot read them: it
says where they are and exits with status 1. It keeps no log of its own.

A pool that is not running is looked up in the journal by its name alone.
With -H, poolctl logs runs on that host, journalctl too.`

// logsQuery is what poolctl logs was asked for.
type logsQuery struct {
	name   string
	slot   int // -1: every slot
	follow bool
	lines  linesValue
}

// linesValue is -n: a number of lines, or all (journalctl's own default,
// but with -f, which shows 10 then).
type linesValue struct {
	n   int
	set bool // given: passed on to journalctl, "all" too
}

func (l *linesValue) String() string {
	if !l.set || l.n < 0 {
		return "all"
	}
	return strconv.Itoa(l.n)
}

func (l *linesValue) Set(s string) error {
	if s == "all" {
		*l = linesValue{n: -1, set: true}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a number of lines, 0 or more, or all")
	}
	*l = linesValue{n: n, set: true}
	return nil
}

func (l *linesValue) Type() string { return "lines" }

func (a *app) logsCmd() *cobra.Command {
	q := logsQuery{slot: -1}
	cmd := &cobra.Command{
		Use:   "logs NAME [SLOT]",
		Short: "Show the output of a pool's workers, from the journal",
		Long:  logsLong,
		Example: "  poolctl logs web\n  poolctl logs web 3 -f\n  poolctl logs web -n 100\n" +
			"  poolctl -H admin@web1 logs web 0 -f",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := wantArgs(cmd, args, 1, 2, "a pool name and optionally a slot number"); err != nil {
				return err
			}
			q.name = args[0]
			if len(args) == 2 {
				slot, err := parseCount(args[1], "slot number")
				if err != nil {
					return err
				}
				q.slot = int(slot)
			}
			return nil
		},
		ValidArgsFunction: a.completeLogs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.logs(cmd.Context(), q)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&q.follow, "follow", "f", false, "keep printing lines as they come (journalctl -f)")
	f.VarP(&q.lines, "lines", "n", "show the last `N` lines, or all (journalctl -n)")
	return cmd
}

func (a *app) completeLogs(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return a.poolNames(cmd.Context(), nil, toComplete), cobra.ShellCompDirectiveNoFileComp
	case 1:
		return a.slots(cmd.Context(), args[0]), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// logs finds the pool, works out where its workers' output goes, and runs
// journalctl when that is the journal.
func (a *app) logs(ctx context.Context, q logsQuery) error {
	var info dbusapi.PoolInfo
	err := a.withPool(ctx, q.name, readTimeout, func(ctx context.Context, p *dbusapi.Pool) error {
		st, err := p.Status(ctx)
		info = st.Pool
		return err
	})
	if errors.Is(err, dbusapi.ErrNoSuchPool) {
		if denied := checkJournalAccess(q); denied != nil {
			return errors.Join(err, denied) // its earlier lines may be there
		}
		if a.journalKnows(ctx, q.name) {
			fmt.Fprintf(a.stderr, "poolctl: no pool named %q is running; its workers' earlier output from the journal:\n", q.name)
			return a.journalctl(ctx, append([]string{"POOLD_POOL=" + q.name}, q.journalArgs()...))
		}
	}
	if err != nil {
		return err
	}
	src := inspectPoold(procRoot, int(info.MainPID), runSystemctl)
	matches, err := src.matches(q.name)
	if err != nil {
		return err
	}
	if src.unit != "" && !src.userUnit {
		if err := checkJournalAccess(q); err != nil {
			return err
		}
	}
	return a.journalctl(ctx, append(matches, q.journalArgs()...))
}

// argv is poolctl's arguments for the query, to say how to run it again.
func (q logsQuery) argv() []string {
	args := []string{"logs", q.name}
	if q.slot >= 0 {
		args = append(args, strconv.Itoa(q.slot))
	}
	if q.follow {
		args = append(args, "-f")
	}
	if q.lines.set {
		args = append(args, "-n", q.lines.String())
	}
	return args
}

// journalArgs are the slot match and journalctl's options.
func (q logsQuery) journalArgs() []string {
	var args []string
	if q.slot >= 0 {
		args = append(args, "POOLD_SLOT="+strconv.Itoa(q.slot))
	}
	if q.follow {
		args = append(args, "--follow")
	}
	if q.lines.set {
		args = append(args, "--lines="+q.lines.String())
	}
	return args
}

// journalKnows reports whether the journal has a line of a worker of the
// pool called name.
func (a *app) journalKnows(ctx context.Context, name string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "journalctl", "--quiet", "--no-pager", "--lines=1", "--output=json", "POOLD_POOL="+name).Output()
	return err == nil && len(out) > 0
}

// journalctl runs journalctl with args on poolctl's stdin, stdout and
// stderr (its pager too, on a terminal). An interrupt (Ctrl-C) reaches it
// from the terminal and ends poolctl quietly.
func (a *app) journalctl(ctx context.Context, args []string) error {
	argv := append([]string{"journalctl"}, args...)
	a.verbosef("running %s", shellJoin(argv))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil || ctx.Err() != nil:
		return nil
	case errors.As(err, &exit):
		return fmt.Errorf("%s: %v", shellJoin(argv), exit)
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("journalctl not found: it comes with systemd (%v)", err)
	}
	return fmt.Errorf("%s: %w", shellJoin(argv), err)
}
