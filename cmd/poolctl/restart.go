package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
)

func (a *app) restartCmd() *cobra.Command {
	var slot uint32
	var all bool
	return &cobra.Command{
		Use:   "restart NAME SLOT|all",
		Short: "Replace the worker of one slot, or all of them",
		Long: `Replace the worker of slot SLOT of pool NAME the way a reload does: the new
worker starts first and the old one drains once the new one is ready.

"restart NAME all" is a rolling reload: the same as "poolctl reload NAME".`,
		Example: "  poolctl restart express 2\n  poolctl restart express all",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := wantArgs(cmd, args, 2, 2, "a pool name and a slot number or \"all\""); err != nil {
				return err
			}
			if all = args[1] == "all"; all {
				return nil
			}
			v, err := parseCount(args[1], "slot number")
			if err != nil {
				return usagef("%q is not a slot number or \"all\"", args[1])
			}
			slot = v
			return nil
		},
		ValidArgsFunction: a.completeRestart,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all {
				return a.withPool(cmd.Context(), args[0], 0, a.reload)
			}
			return a.withPool(cmd.Context(), args[0], 0, func(ctx context.Context, p *dbusapi.Pool) error {
				return a.restart(ctx, p, slot)
			})
		},
	}
}

// restart replaces one slot's worker and says which worker runs it now.
func (a *app) restart(ctx context.Context, p *dbusapi.Pool, slot uint32) error {
	before, err := p.Status(ctx)
	if err != nil {
		return err
	}
	old, _ := workerOf(before, slot)
	if err := p.RestartWorker(ctx, slot); err != nil {
		return err
	}
	after, err := p.Status(ctx)
	if err != nil {
		return err
	}
	if w, ok := workerOf(after, slot); ok && w.ID != old.ID && w.State == "ready" {
		fmt.Fprintf(a.stdout, "%s: slot %d: worker %d ready (generation %d)\n", p.Name, slot, w.PID, w.Generation)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s: replacing the worker of slot %d\n", p.Name, slot)
	return nil
}

// workerOf is the newest worker in slot: during a restart the slot has two.
func workerOf(st dbusapi.Status, slot uint32) (dbusapi.WorkerInfo, bool) {
	var found dbusapi.WorkerInfo
	ok := false
	for _, w := range st.Workers {
		if w.Slot == slot && (!ok || w.ID > found.ID) {
			found, ok = w, true
		}
	}
	return found, ok
}
