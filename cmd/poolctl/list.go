package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

func (a *app) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the pools on this host",
		Long: `List every pool found on the system bus, the session bus and the private
buses of pools run by hand, with its state, its ready and target worker
counts, its generation and the PID of its poold.

Pools that systemd runs but that are on no bus are asked of systemd: a
socket-activated pool before its first connection (state idle), one whose
units failed (failed, with their result), one whose poold starts (starting).
A line under the table says what each one's units do. Without systemd on the
system bus, only the pools on a bus are listed.`,
		Example: "  poolctl list\n  poolctl list --json | jq -r '.[].name'\n  poolctl -H admin@web1 list",
		Args: func(cmd *cobra.Command, args []string) error {
			return wantArgs(cmd, args, 0, 0, "no arguments")
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.list(cmd.Context(), outputFor(asJSON))
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

// poolStatus is a pool's status and the bus it was read on, or, for a pool
// on no bus, what systemd says of its units.
type poolStatus struct {
	dbusapi.Status
	Bus   dbusapi.Address
	Units *unitPool
}

// unitStatus is the row of a pool on no bus.
func unitStatus(p unitPool) poolStatus {
	st := dbusapi.Status{Pool: dbusapi.PoolInfo{Name: p.name, State: p.state, StatusText: p.line(), Listen: p.listen()}}
	return poolStatus{Status: st, Units: &p}
}

func (a *app) list(ctx context.Context, out output) error {
	ctx, cancel := a.withTimeout(ctx, readTimeout)
	defer cancel()
	b := a.connect(ctx)
	defer b.close()
	var rows []poolStatus
	found := map[string]bool{}
	for _, p := range a.pools(ctx, b) {
		found[p.Name] = true
		st, err := p.Status(ctx)
		if err != nil {
			if !isGone(err) {
				a.warnf("%v", err)
			}
			continue
		}
		rows = append(rows, poolStatus{Status: st, Bus: p.Bus().Address})
	}
	for _, p := range a.unitPools(ctx, b, found) {
		rows = append(rows, unitStatus(p))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if out == outputJSON {
		pools := make([]jsonPoolOnBus, len(rows))
		for i, r := range rows {
			pools[i] = toJSONPool(r)
		}
		return writeJSON(a.stdout, pools)
	}
	return writeList(a.stdout, rows, b.where())
}

// writeList is the table of list, in the look of systemctl list-units.
func writeList(w io.Writer, rows []poolStatus, where string) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintf(w, "No pools found (%s).\n", where)
		return err
	}
	t := newTable(w)
	fmt.Fprintln(t, "NAME\tBUS\tSTATE\tWORKERS\tGENERATION\tMAIN PID")
	var lines []string
	for _, r := range rows {
		p := r.Pool
		if r.Units != nil {
			fmt.Fprintf(t, "%s\t-\t%s\t-\t-\t-\n", escape(p.Name), p.State)
			lines = append(lines, escape(p.StatusText))
			continue
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%d/%d\t%d\t%d\n", escape(p.Name), r.Bus.Kind,
			escape(p.State), p.ReadyWorkers, p.TargetWorkers, p.Generation, p.MainPID)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(lines, "\n"))
	}
	_, err := fmt.Fprintf(w, "\n%s listed.\n", plural.Of(len(rows), "pool"))
	return err
}
