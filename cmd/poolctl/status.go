package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
)

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Show pools and their workers",
		Long: `Show each named pool, or every pool when none is named, in the look of
systemctl status: its state, worker counts and why the pool has its target
count, its sockets and how their connections reach the workers (poold's
--distribution: shared, balanced or sticky), command, main PID and status
text (and a Binary: line when a package upgrade replaced poold's file: the
pool runs the old code until it restarts, and the line names the version a
restart runs; an Upgrade: line after poolctl upgrade, with the versions,
when and how it went), each slot without a ready worker whose last worker failed
(whether it is crash-looping, its failures in a row, when its next worker
starts, how the last one ended and its last lines on stderr, after "> "),
then a table of its workers with their slot, PID, state, generation,
uptime, restarts, last heartbeat, memory (MEM: its cgroup's, its whole
process tree, when it has a cgroup of its own, else its resident memory),
CPU time, what the worker
last reported on its stream channel (99th percentile of event-loop delay,
heap in use, requests handled; "-" when it never reported) and status text.

Text from the pool and its workers, such as a worker's STATUS=, is printed
escaped: control characters as C escapes (\x1b, \t),
Unicode format characters such as bidi overrides as \u202e, a backslash
doubled, so that a worker cannot move the cursor or reorder what follows.

A pool is crash-looping, rather than starting or degraded, while fewer
than its target workers are ready and a slot has failed 5 times in a row,
or twice without ever having had a ready worker.

A pool that systemd runs but that is on no bus is asked of systemd: before
its first connection a socket-activated pool is one line, "myapp: socket
listening on 127.0.0.1:8080, pool not started (starts on the first
connection)"; a pool whose units failed says so, with their result
(exit-code, signal, start-limit-hit...). Without systemd on the system bus,
such a pool is not found.

With --json, print a JSON array with one {"pool": ..., "workers": [...]}
object per pool (the failing slots in the pool's "failing_slots"); its
strings are the texts as they are. A pool on no bus has the state "idle",
"failed", "starting" or "stopped", its status_text the line above, its
listen the addresses of its listening sockets, and "units": its service
and sockets, their states and results.`,
		Example:           "  poolctl status\n  poolctl status express\n  poolctl status express --json | jq '.[0].workers[].pid'",
		ValidArgsFunction: a.completeNames(-1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.status(cmd.Context(), args, outputFor(asJSON))
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (a *app) status(ctx context.Context, names []string, out output) error {
	ctx, cancel := a.withTimeout(ctx, readTimeout)
	defer cancel()
	b := a.connect(ctx)
	defer b.close()
	all := a.pools(ctx, b)
	found := map[string]bool{}
	for _, p := range all {
		found[p.Name] = true
	}
	known := sync.OnceValue(func() []unitPool { return a.unitPools(ctx, b, found) })
	targets := all
	var errs []error
	var units []unitPool
	if len(names) > 0 {
		targets = nil
		for _, n := range names {
			p, err := pick(all, n, b)
			if err == nil {
				targets = append(targets, p)
			} else if u, ok := named(known(), n); ok {
				units = append(units, u)
			} else {
				errs = append(errs, err)
			}
		}
	} else {
		units = known()
	}
	var rows []poolStatus
	for _, p := range targets {
		st, err := p.Status(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, poolStatus{Status: st, Bus: p.Bus().Address})
	}
	for _, u := range units {
		rows = append(rows, unitStatus(u))
	}
	if err := a.writeStatuses(rows, out, b.where(), names); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// writeStatuses prints the pools read for names (all pools when none);
// where says which buses were searched.
func (a *app) writeStatuses(rows []poolStatus, out output, where string, names []string) error {
	if out == outputJSON {
		out := make([]jsonStatus, len(rows))
		for i, r := range rows {
			out[i] = toJSONStatus(r)
		}
		return writeJSON(a.stdout, out)
	}
	if len(rows) == 0 && len(names) == 0 {
		_, err := fmt.Fprintf(a.stdout, "No pools found (%s).\n", where)
		return err
	}
	v := view{now: a.now(), color: a.color()}
	for i, r := range rows {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		if err := writeStatus(a.stdout, r, v); err != nil {
			return err
		}
	}
	return nil
}

// writeStatus is one pool in the look of systemctl status, or the line of
// a pool on no bus.
func writeStatus(w io.Writer, r poolStatus, v view) error {
	p := r.Pool
	if r.Units != nil {
		_, err := fmt.Fprintln(w, escape(p.StatusText))
		return err
	}
	fmt.Fprintf(w, "%s %s\n", v.dot(p.State), escape(p.Name))
	field(w, "State", stateLine(p))
	field(w, "Workers", workersLine(p))
	field(w, "Listen", p.Listen...)
	if p.Distribution != "" { // empty from a poold older than --distribution
		field(w, "Connections", p.Distribution)
	}
	if p.WorkerCgroups != "" { // empty from a poold older than per-worker cgroups
		field(w, "Cgroups", p.WorkerCgroups)
	}
	if len(p.Command) > 0 {
		field(w, "Command", shellJoin(p.Command))
	}
	if lines := generationLines(p); len(lines) > 0 {
		field(w, "Generations", lines...)
	}
	field(w, "Main PID", fmt.Sprintf("%d (poold %s)", p.MainPID, orDash(p.Version)))
	if p.BinaryReplaced {
		field(w, "Binary", replacedLine(p))
	}
	if p.LastUpgrade.Outcome != "" {
		field(w, "Upgrade", upgradeLine(p.LastUpgrade, v.now))
	}
	if p.StatusText != "" {
		field(w, "Status", `"`+p.StatusText+`"`)
	}
	field(w, "Bus", fmt.Sprintf("%s (%s)", r.Bus.Kind, withoutGUID(r.Bus.Address)))
	writeFailingSlots(w, p.FailingSlots, v.now)
	fmt.Fprintln(w)
	return writeWorkers(w, r.Workers, v.now)
}

// replacedLine says that a restart runs another poold.
func replacedLine(p dbusapi.PoolInfo) string {
	if p.ReplacementVersion == "" {
		return "replaced or removed on disk; restart to run the binary now at poold's path"
	}
	return "replaced on disk, restart or upgrade to run version " + p.ReplacementVersion
}

// upgradeLine is the last in-place upgrade: "1.2.0 → 1.3.0 5m02s ago,
// upgraded in 180ms", or how it ended otherwise ("fell back: REASON").
func upgradeLine(up dbusapi.UpgradeInfo, now time.Time) string {
	s := fmt.Sprintf("%s → %s %s, %s", orDash(up.From), orDash(up.To), age(up.StartedUSec, now), up.Outcome)
	if up.Outcome == dbusapi.Upgraded {
		s += " in " + (time.Duration(up.DurationUSec) * time.Microsecond).Round(time.Millisecond).String()
	}
	return s
}

// labelWidth right-aligns labels as systemctl status does.
const labelWidth = 11

// field prints "   Label: value", further values on lines of their own,
// each escaped.
func field(w io.Writer, label string, values ...string) {
	for i, v := range values {
		if i > 0 {
			label = ""
		}
		sep := ":"
		if label == "" {
			sep = " "
		}
		fmt.Fprintf(w, "%*s%s %s\n", labelWidth, label, sep, escape(v))
	}
}

// stateLine: "running, 4/4 workers ready (1 starting), generation 2".
func stateLine(p dbusapi.PoolInfo) string {
	s := fmt.Sprintf("%s, %d/%d workers ready", orDash(p.State), p.ReadyWorkers, p.TargetWorkers)
	switch {
	case p.StartingWorkers > 0 && p.StoppingWorkers > 0:
		s += fmt.Sprintf(" (%d starting, %d stopping)", p.StartingWorkers, p.StoppingWorkers)
	case p.StartingWorkers > 0:
		s += fmt.Sprintf(" (%d starting)", p.StartingWorkers)
	case p.StoppingWorkers > 0:
		s += fmt.Sprintf(" (%d stopping)", p.StoppingWorkers)
	}
	return s + fmt.Sprintf(", generation %d", p.Generation)
}

// workersLine: "target 4, max 8; 2 CPUs (cgroup cpu.max)".
func workersLine(p dbusapi.PoolInfo) string {
	s := fmt.Sprintf("target %d, max %d", p.TargetWorkers, p.MaxWorkers)
	if p.WorkersReason != "" {
		s += "; " + p.WorkersReason
	}
	return s
}

// writeWorkers is the table of a pool's workers.
func writeWorkers(w io.Writer, workers []dbusapi.WorkerInfo, now time.Time) error {
	if len(workers) == 0 {
		_, err := fmt.Fprintln(w, "No workers.")
		return err
	}
	t := newTable(w)
	fmt.Fprintln(t, "SLOT\tPID\tSTATE\tGEN\tUPTIME\tRESTARTS\tHEARTBEAT\tMEM\tCPU\tLOOP P99\tHEAP\tREQS\tSTATUS")
	for _, k := range workers {
		loop, heap, reqs := reported(k)
		fmt.Fprintf(t, "%d\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Slot, k.PID, escape(k.State),
			k.Generation, uptime(k.StartedUSec, now), k.Restarts, age(k.LastHeartbeatUSec, now),
			humanBytes(k.MemoryCurrent), cpuSeconds(k.CPUUsageNSec), loop, heap, reqs, orDash(escape(k.StatusText)))
	}
	return t.Flush()
}

// reported is what the worker last sent as metrics, "-" each when it never
// did.
func reported(k dbusapi.WorkerInfo) (loop, heap, reqs string) {
	if k.MetricsUSec == 0 {
		return "-", "-", "-"
	}
	loop = fmt.Sprintf("%.1fms", float64(k.LoopDelayP99USec)/1000)
	return loop, humanBytes(k.HeapUsedBytes), fmt.Sprint(k.RequestsTotal)
}

// dot is systemctl's ●, coloured by state on a terminal.
func (v view) dot(state string) string {
	if !v.color {
		return "●"
	}
	code := "0"
	switch state {
	case "running":
		code = "0;1;32" // green
	case "starting", "reloading", "stopping":
		code = "0;1;33" // yellow
	case "degraded", "crash-looping":
		code = "0;1;31" // red
	}
	return "\x1b[" + code + "m●\x1b[0m"
}
