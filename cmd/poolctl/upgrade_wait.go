package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

// upgradePoll is how often poolctl looks for the pool while its poold
// replaces itself: the pool leaves the bus for a moment and there is no
// signal to wait for across that gap (a private bus restarts with it).
const upgradePoll = 50 * time.Millisecond

// Results of one pool's upgrade, as poolctl upgrade --json names them.
const (
	upgraded        = "upgraded"
	upgradeFellBack = "fell back"
	upgradeRefused  = "refused"
	upgradeRestart  = "restarted"
	upgradeSkipped  = "skipped"
	upgradeFailed   = "failed"
)

// upgradeResult is how one pool's upgrade ended.
type upgradeResult struct {
	Pool          string
	Bus           dbusapi.Address
	Result        string // one of the constants above
	From, To      string // poold's versions
	Duration      time.Duration
	WorkersBefore int
	WorkersKept   int    // workers running before and after, by PID
	Reason        string // why it did not upgrade
	err           error  // for every result but upgraded and skipped
}

// upgrade has p's poold upgrade itself and waits until the pool is back
// on its bus with the upgrade's outcome.
func (a *app) upgrade(ctx context.Context, p *dbusapi.Pool, u upgradeRun) upgradeResult {
	r := upgradeResult{Pool: p.Name, Bus: p.Bus().Address}
	before, err := p.Status(ctx)
	if err != nil {
		return r.failed(upgradeFailed, err)
	}
	r.From, r.WorkersBefore = before.Pool.Version, len(before.Workers)
	if u.onInstall {
		on, err := p.UpgradeOnInstall(ctx) // not from Status: an older poold has none
		switch {
		case err != nil:
			return r.failed(upgradeRefused, err)
		case !on:
			r.Result, r.Reason = upgradeSkipped, skipReason(p)
			return r
		}
	}
	r.To, err = p.Upgrade(ctx)
	var de *dbusapi.Error
	if errors.As(err, &de) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return r.failed(upgradeRefused, err)
	}
	// Any other error may be the exec ending poold's connection before
	// its reply: LastUpgrade tells.
	if err != nil {
		a.verbosef("%s: Upgrade: %v; looking for the pool", p.Name, err)
	}
	after, err := a.awaitUpgrade(ctx, p, before)
	if err != nil {
		return r.failed(upgradeFailed, err)
	}
	return r.outcome(before, after)
}

// outcome reads how the upgrade went from the pool after it.
func (r upgradeResult) outcome(before, after dbusapi.Status) upgradeResult {
	up := after.Pool.LastUpgrade
	// A poold that fell back records its own version as To: the version
	// it was to run is the one Upgrade answered, when it did.
	r.From = up.From
	if r.To == "" || up.Outcome == dbusapi.Upgraded {
		r.To = up.To
	}
	r.Duration = time.Duration(up.DurationUSec) * time.Microsecond
	r.WorkersKept = kept(before.Workers, after.Workers)
	if after.Pool.MainPID != before.Pool.MainPID {
		return r.failed(upgradeRestart, fmt.Errorf("poold was restarted during the upgrade (PID %d, was %d): its workers were not kept",
			after.Pool.MainPID, before.Pool.MainPID))
	}
	reason, fellBack := strings.CutPrefix(up.Outcome, dbusapi.UpgradeFellBack)
	switch {
	case up.Outcome == dbusapi.Upgraded:
		r.Result = upgraded
		return r
	case fellBack:
		return r.failed(upgradeFellBack, fmt.Errorf("upgrade to poold %s fell back to %s: %s; %s kept", r.To, after.Pool.Version, reason, r.workers()))
	}
	reason, _ = strings.CutPrefix(up.Outcome, dbusapi.UpgradeRefused)
	return r.failed(upgradeRefused, fmt.Errorf("upgrade to poold %s refused: %s", r.To, reason))
}

func (r upgradeResult) failed(result string, err error) upgradeResult {
	r.Result, r.Reason, r.err = result, err.Error(), err
	return r
}

// line is the result for people: "myapp: upgraded poold 1.2.0 → 1.3.0 in
// 180ms, 4 workers kept".
func (r upgradeResult) line() string {
	switch r.Result {
	case upgraded:
		return fmt.Sprintf("%s: upgraded poold %s → %s in %s, %s kept", r.Pool, r.From, r.To,
			r.Duration.Round(time.Millisecond), r.workers())
	case upgradeSkipped:
		return fmt.Sprintf("%s: skipped: %s", r.Pool, r.Reason)
	}
	return fmt.Sprintf("%s: %s", r.Pool, r.Reason)
}

// workers is "4 workers" when every worker was kept, else "3 of 4 workers".
func (r upgradeResult) workers() string {
	if r.WorkersKept == r.WorkersBefore {
		return plural.Of(r.WorkersKept, "worker")
	}
	return fmt.Sprintf("%d of %s", r.WorkersKept, plural.Of(r.WorkersBefore, "worker"))
}

// skipReason says why --on-install leaves a pool alone and what to do.
func skipReason(p *dbusapi.Pool) string {
	where := "in its config file"
	if p.Bus().Address.Kind == dbusapi.BusSystem {
		where = "in /etc/poold/" + p.Name + ".conf"
	}
	return "upgrade-on-install = false " + where + "; restart it to run the new poold"
}

// kept counts the workers of before still running after, by PID.
func kept(before, after []dbusapi.WorkerInfo) int {
	now := make(map[uint32]bool, len(after))
	for _, w := range after {
		now[w.PID] = true
	}
	n := 0
	for _, w := range before {
		if now[w.PID] {
			n++
		}
	}
	return n
}

// awaitUpgrade reads the pool until its LastUpgrade is a new one with an
// outcome, or its poold is another process. It dials the pool's bus again
// when the connection is gone: a private bus dies with the old poold.
func (a *app) awaitUpgrade(ctx context.Context, p *dbusapi.Pool, before dbusapi.Status) (dbusapi.Status, error) {
	bus := p.Bus()
	var redialed *dbusapi.Bus
	defer func() {
		if redialed != nil {
			redialed.Close()
		}
	}()
	tick := time.NewTicker(upgradePoll)
	defer tick.Stop()
	var lastErr error
	for {
		if !bus.Conn().Connected() {
			if b, err := a.dialOne(ctx, bus.Address); err == nil {
				if redialed != nil {
					redialed.Close()
				}
				bus, redialed = b, b
			} else {
				lastErr = err
			}
		}
		st, err := bus.Pool(p.Name).Status(ctx)
		if err == nil && upgradeEnded(before.Pool, st.Pool) {
			return st, nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return st, fmt.Errorf("waiting for the upgraded poold: %w (last: %v)", ctx.Err(), lastErr)
			}
			return st, fmt.Errorf("waiting for the upgrade to end: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// upgradeEnded: after is the pool once an upgrade started after before
// ended, or once another poold runs it. The new poold serves the bus
// before it tells systemd READY=1, with no outcome until it has.
func upgradeEnded(before, after dbusapi.PoolInfo) bool {
	if after.MainPID != before.MainPID {
		return true
	}
	up := after.LastUpgrade
	return up.Outcome != "" && up.StartedUSec != before.LastUpgrade.StartedUSec
}
