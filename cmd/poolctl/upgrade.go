package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
)

func (a *app) upgradeCmd() *cobra.Command {
	var all, onInstall, asJSON bool
	cmd := &cobra.Command{
		Use:   "upgrade [NAME | --all]",
		Short: "Replace a pool's poold with the binary on disk, in place",
		Long: `Have the poold of pool NAME, or of every running pool with --all, replace
itself with the poold binary now on disk (after a package upgrade, say)
without a restart: the new poold keeps the PID, so systemd's MainPID, the
listening sockets, every worker and the pool's state. Connections keep
being served throughout; only the pool's D-Bus name is gone for a moment.
A new poold that fails to start falls back to the old one, nothing lost.

poolctl waits until the pool is back on its bus and prints how it went:
"myapp: upgraded poold 1.2.0 → 1.3.0 in 180ms, 4 workers kept". It exits 1
when the upgrade was refused (the binary on disk does not run, a reload is
in progress, the pool's poold is older than in-place upgrades), fell back
(with the new poold's reason) or poold was restarted meanwhile, and keeps
waiting as long as it takes unless --timeout is given (for each pool, with
--all).

With --on-install, the pools whose upgrade-on-install setting is false
(upgrade-on-install = false in the pool's config file) are skipped and
listed: they run the new poold once they are restarted. The package
scripts run "poolctl upgrade --all --on-install" after installing a new
poold.

With --json, print a JSON array with one object per pool: its name, bus,
result ("upgraded", "fell back", "refused", "restarted", "skipped" or
"failed"), the versions, the upgrade's duration, the workers before and
the workers kept, and the reason when it did not upgrade.`,
		Example: "  poolctl upgrade myapp\n  poolctl upgrade --all\n  poolctl upgrade --all --on-install --timeout 2m",
		Args: func(cmd *cobra.Command, args []string) error {
			if all {
				return wantArgs(cmd, args, 0, 0, "no pool name with --all")
			}
			return wantArgs(cmd, args, 1, 1, "a pool name, or --all")
		},
		ValidArgsFunction: a.completeNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u := upgradeRun{onInstall: onInstall, out: outputFor(asJSON)}
			if all {
				return a.upgradeAll(cmd.Context(), u)
			}
			return a.upgradeOne(cmd.Context(), args[0], u)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "upgrade every running pool poolctl finds")
	cmd.Flags().BoolVar(&onInstall, "on-install", false, "skip the pools whose upgrade-on-install setting is false")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// upgradeRun is how poolctl upgrade was asked to run.
type upgradeRun struct {
	onInstall bool
	out       output
}

func (a *app) upgradeOne(ctx context.Context, name string, u upgradeRun) error {
	var r upgradeResult
	err := a.withPool(ctx, name, 0, func(ctx context.Context, p *dbusapi.Pool) error {
		r = a.upgrade(ctx, p, u)
		return nil
	})
	if err != nil { // the pool was not found
		return err
	}
	return a.reportUpgrades([]upgradeResult{r}, u)
}

// upgradeAll upgrades the pools on every bus, one after the other, each
// within --timeout.
func (a *app) upgradeAll(ctx context.Context, u upgradeRun) error {
	listCtx, cancel := context.WithTimeout(ctx, readTimeout) // a bus that hangs must not hang an upgrade
	defer cancel()
	b := a.connect(listCtx)
	defer b.close()
	pools := a.pools(listCtx, b)
	if len(pools) == 0 && u.out != outputJSON {
		_, err := fmt.Fprintf(a.stdout, "No pools found (%s).\n", b.where())
		return err
	}
	results := make([]upgradeResult, 0, len(pools))
	for _, p := range pools {
		pctx, cancel := a.withTimeout(ctx, 0)
		r := a.upgrade(pctx, p, u)
		cancel()
		if isGone(r.err) {
			continue // it stopped since it was listed
		}
		results = append(results, r)
		if u.out != outputJSON {
			a.printUpgrade(r) // as each ends: several may take a while
		}
	}
	if u.out == outputJSON {
		return a.reportUpgrades(results, u)
	}
	return upgradeErrors(results)
}

// reportUpgrades prints the results and returns their errors, joined.
func (a *app) reportUpgrades(results []upgradeResult, u upgradeRun) error {
	if u.out == outputJSON {
		out := make([]jsonUpgrade, len(results))
		for i, r := range results {
			out[i] = r.json()
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			a.printUpgrade(r)
		}
	}
	return upgradeErrors(results)
}

// printUpgrade prints a result that is not an error; errors are printed
// by report, on stderr.
func (a *app) printUpgrade(r upgradeResult) {
	if r.err == nil {
		fmt.Fprintln(a.stdout, escape(r.line()))
	}
}

func upgradeErrors(results []upgradeResult) error {
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Pool, r.err))
		}
	}
	return errors.Join(errs...)
}
