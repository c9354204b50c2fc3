package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

func (a *app) broadcastCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "broadcast NAME JSON",
		Short: "Send a message to every worker of a pool",
		Long: `Send JSON, one JSON value, to every worker of pool NAME that listens on its
stream channel (docs/worker-contract.md): Node.js workers get it as a
process 'message' event, as from a cluster master, and through
require('poold').on('message'). Workers that do not listen are not counted.

At most 64 KiB less the envelope; a worker that does not read its channel
loses the message rather than holding up the others.`,
		Example: `  poolctl broadcast express '{"type":"broadcast","data":{"action":"invalidate-cache","key":"users"}}'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := wantArgs(cmd, args, 2, 2, "a pool name and a JSON message"); err != nil {
				return err
			}
			if !json.Valid([]byte(args[1])) {
				return usagef("%q is not valid JSON: quote it for the shell, e.g. '{\"key\":\"users\"}'", args[1])
			}
			return nil
		},
		ValidArgsFunction: a.completeNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withPool(cmd.Context(), args[0], 0, func(ctx context.Context, p *dbusapi.Pool) error {
				n, err := p.Broadcast(ctx, args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s: sent to %s\n", p.Name, plural.Of(int(n), "worker"))
				return nil
			})
		},
	}
}
