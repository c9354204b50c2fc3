package main

import (
	"context"
	"fmt"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
)

func (a *app) signalCmd() *cobra.Command {
	var sig syscall.Signal
	slot := dbusapi.AllSlots
	return &cobra.Command{
		Use:   "signal NAME SIGNAL [SLOT]",
		Short: "Send a signal to the workers of a pool",
		Long: `Send SIGNAL to the worker of slot SLOT of pool NAME, or to every worker when
SLOT is not given. SIGNAL is a name with or without SIG (HUP, SIGHUP, sighup),
RTMIN+N, RTMAX-N or a number from 1 to 64, as kill(1) takes them.

A worker does with the signal what its code says (the example Express app
prints how it is doing on USR2). A worker without a handler for it gets the
signal's default action, which for most signals (HUP, INT, USR1, USR2...)
ends the worker: poold then restarts it as a crash.`,
		Example: "  poolctl signal express USR2\n  poolctl signal express SIGUSR2 0",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := wantArgs(cmd, args, 2, 3, "a pool name, a signal and optionally a slot"); err != nil {
				return err
			}
			var err error
			if sig, err = parseSignal(args[1]); err != nil {
				return err
			}
			if len(args) == 3 {
				v, err := parseCount(args[2], "slot number")
				if err != nil {
					return err
				}
				slot = int32(v)
			}
			return nil
		},
		ValidArgsFunction: a.completeSignal,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withPool(cmd.Context(), args[0], 0, func(ctx context.Context, p *dbusapi.Pool) error {
				if err := p.SignalWorkers(ctx, slot, int32(sig)); err != nil {
					return err
				}
				to := "every worker"
				if slot != dbusapi.AllSlots {
					to = fmt.Sprintf("the worker of slot %d", slot)
				}
				fmt.Fprintf(a.stdout, "%s: sent %s to %s\n", p.Name, signalName(sig), to)
				return nil
			})
		},
	}
}
