package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

func (a *app) scaleCmd() *cobra.Command {
	var allowZero bool
	var n int32
	cmd := &cobra.Command{
		Use:   "scale NAME N",
		Short: "Set the number of workers of a pool",
		Long: `Set the target worker count of pool NAME to N. New workers start at once;
when scaling down, the workers of the highest slots drain and stop. The pool
refuses more than its maximum. Scaling to 0 stops every worker and needs
--allow-zero.`,
		Example: "  poolctl scale express 8\n  poolctl scale express 0 --allow-zero",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := wantArgs(cmd, args, 2, 2, "a pool name and a worker count"); err != nil {
				return err
			}
			v, err := parseCount(args[1], "worker count")
			if err != nil {
				return err
			}
			if v == 0 && !allowZero {
				return usagef("scaling to 0 stops every worker; add --allow-zero if that is what you want")
			}
			n = int32(v)
			return nil
		},
		ValidArgsFunction: a.completeNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withPool(cmd.Context(), args[0], 0, func(ctx context.Context, p *dbusapi.Pool) error {
				var flags uint64
				if allowZero {
					flags |= dbusapi.ScaleAllowZero
				}
				return a.scale(ctx, p, n, flags)
			})
		},
	}
	cmd.Flags().BoolVar(&allowZero, "allow-zero", false, "allow scaling to 0 workers")
	return cmd
}

func (a *app) scale(ctx context.Context, p *dbusapi.Pool, n int32, flags uint64) error {
	before, err := p.Status(ctx)
	if err != nil {
		return err
	}
	if err := p.Scale(ctx, n, flags); err != nil {
		return err
	}
	if before.Pool.TargetWorkers == uint32(n) {
		fmt.Fprintf(a.stdout, "%s: already at %s\n", p.Name, plural.Of(int(n), "worker"))
		return nil
	}
	fmt.Fprintf(a.stdout, "%s: scaling from %d to %s\n", p.Name, before.Pool.TargetWorkers, plural.Of(int(n), "worker"))
	return nil
}

// parseCount reads a worker count or a slot: decimal digits only, no sign,
// below 2^31 (the D-Bus arguments are int32).
func parseCount(s, what string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, usagef("%s %s is too large", what, s)
		}
		return 0, usagef("%q is not a %s: give a number, 0 or more", s, what)
	}
	return uint32(v), nil
}
