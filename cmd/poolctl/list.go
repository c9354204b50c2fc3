package main

import (
	"context"
	"fmt"
	"io"

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
counts, its generation and the PID of its poold.`,
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

// poolStatus is a pool's status and the bus it was read on.
type poolStatus struct {
	dbusapi.Status
	Bus dbusapi.Address
}

func (a *app) list(ctx context.Context, out output) error {
	ctx, cancel := a.withTimeout(ctx, readTimeout)
	defer cancel()
	b := a.connect(ctx)
	defer b.close()
	var rows []poolStatus
	for _, p := range a.pools(ctx, b) {
		st, err := p.Status(ctx)
		if err != nil {
			if !isGone(err) {
				a.warnf("%v", err)
			}
			continue
		}
		rows = append(rows, poolStatus{Status: st, Bus: p.Bus().Address})
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
	for _, r := range rows {
		p := r.Pool
		fmt.Fprintf(t, "%s\t%s\t%s\t%d/%d\t%d\t%d\n", escape(p.Name), r.Bus.Kind,
			escape(p.State), p.ReadyWorkers, p.TargetWorkers, p.Generation, p.MainPID)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s listed.\n", plural.Of(len(rows), "pool"))
	return err
}
