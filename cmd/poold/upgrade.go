package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// upgrader re-execs poold in place: same PID, same sockets, same workers
// (see internal/handoff). Start is what SIGUSR2, the D-Bus Upgrade method
// and poolctl upgrade call.
type upgrader struct {
	log    *slog.Logger
	binary *selfBinary // the path poold was started from; nil when /proc cannot tell

	mu      sync.Mutex
	running bool
	last    upgradeRecord
}

// upgradeRecord is one upgrade's outcome, carried over exec in the handed
// state so that the new poold can tell how it went.
type upgradeRecord struct {
	From, To string // versions; To == From's binary when it fell back
	Started  time.Time
	Duration time.Duration // from Start to the new poold's READY=1
	Outcome  string        // "" (none yet), "upgraded", "fell back: REASON", "refused: REASON"
}

// Outcomes of an upgrade, the prefixes of upgradeRecord.Outcome.
const (
	outcomeUpgraded = "upgraded"
	outcomeFellBack = "fell back: "
	outcomeRefused  = "refused: "
)

// errUpgradeRunning refuses a second upgrade while one runs.
var errUpgradeRunning = errors.New("an upgrade is already running: wait for it to finish (poolctl status shows its outcome)")

func newUpgrader(log *slog.Logger) *upgrader {
	return &upgrader{log: log, binary: newSelfBinary()}
}

// Start checks the binary on disk (runs it with --version, with a
// timeout), and begins an upgrade in the background; it returns the
// version it will run, or why it cannot start: a clear error saying what
// to do.
func (u *upgrader) Start(ctx context.Context) (toVersion string, err error) {
	u.mu.Lock()
	if u.running {
		u.mu.Unlock()
		return "", errUpgradeRunning
	}
	u.running = true
	u.mu.Unlock()
	started := time.Now()
	to, err := u.check(ctx)
	if err == nil {
		// The handover itself is not built yet: say so rather than
		// pretend.
		err = errors.New("in-place upgrade is not implemented in this build of poold: restart the service to run the new binary")
	}
	u.finish(upgradeRecord{From: version, To: to, Started: started, Outcome: outcomeRefused + err.Error()})
	return "", err
}

// check runs the binary on disk with --version and returns its version.
func (u *upgrader) check(ctx context.Context) (string, error) {
	if u.binary == nil {
		return "", errors.New("cannot tell which file poold runs from (/proc/self/exe unreadable): restart the service instead")
	}
	return probeVersion(ctx, u.binary.path)
}

// finish records an upgrade's outcome and lets the next one start.
func (u *upgrader) finish(rec upgradeRecord) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.running, u.last = false, rec
	level := slog.LevelInfo
	if rec.Outcome != outcomeUpgraded {
		level = slog.LevelWarn
	}
	u.log.Log(context.Background(), level, "upgrade", "from", rec.From, "to", rec.To, "outcome", rec.Outcome)
}

// Last is the latest upgrade's record, carried over exec in the handed
// state.
func (u *upgrader) Last() upgradeRecord {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// probeVersion runs "path --version", in an empty environment and with a
// timeout, and returns what it says after "poold ", or why it could not
// tell.
func probeVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return "", fmt.Errorf("%s --version did not answer within %v: check the binary (a package upgrade half done?), then retry", path, versionTimeout)
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && len(exit.Stderr) > 0 {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
		}
		return "", fmt.Errorf("%s --version: %w: reinstall poold, then retry", path, err)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "poold ")
	if !ok || v == "" || strings.ContainsAny(v, " \n") {
		return "", fmt.Errorf("%s --version said %q, not \"poold VERSION\": is it poold? Reinstall poold, then retry", path, strings.TrimSpace(string(out)))
	}
	return v, nil
}
