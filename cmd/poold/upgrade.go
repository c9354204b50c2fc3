package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.uber.org/fx"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/handoff"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/supervisor"
)

// upgrader re-execs poold in place: same PID, same sockets, same workers
// (see internal/handoff). Start is what SIGUSR2, the D-Bus Upgrade method
// and poolctl upgrade call.
type upgrader struct {
	log    *slog.Logger
	binary *selfBinary // the path poold was started from; nil when /proc cannot tell
	// running is the binary poold runs, open on /proc/self/exe when poold
	// started: a new binary that cannot take over execs it again, even
	// once a package upgrade has replaced its file. Nil when /proc cannot
	// tell.
	running *os.File
	pool    handingPool
	// busDaemon is the private bus's daemon's pidfd, -1 for none: set
	// once the control plane runs.
	busDaemon func() int

	mu   sync.Mutex
	busy bool
	// handing is set once the pool is frozen for the exec: a stop asked
	// from then on (stopAsked) is the new poold's to carry out.
	handing, stopAsked bool
	last               upgradeRecord
}

// handingPool is what an upgrade hands over.
type handingPool struct {
	cfg      config.Config
	sup      *supervisor.Supervisor
	spawner  *proc.Spawner
	sockets  []activation.Socket
	group    *distribute.Group
	dir      *rundir.Dir
	notifier *activation.Notifier
	metrics  *metricsEndpoint
	reloader *reloader
}

// upgradeRecord is one upgrade's outcome, carried over exec in the handed
// state so that the new poold can tell how it went.
type upgradeRecord struct {
	From, To string // versions; To == From's binary when it fell back
	Started  time.Time
	Duration time.Duration // from Start to the new poold's READY=1
	Outcome  string        // "" (none yet), "upgraded", "fell back: REASON", "refused: REASON"
}

// errUpgradeRunning refuses a second upgrade while one runs.
var errUpgradeRunning = errors.New("an upgrade is already running: wait for it to finish (poolctl status shows its outcome)")

// replyGrace lets the reply to the request that started an upgrade (a
// D-Bus method call) leave before the exec closes the bus connection.
const replyGrace = 50 * time.Millisecond

type upgraderIn struct {
	fx.In
	Cfg      config.Config
	Log      *slog.Logger
	Sup      *supervisor.Supervisor
	Spawner  *proc.Spawner
	Sockets  []activation.Socket
	Group    *distribute.Group
	Dir      *rundir.Dir
	Notifier *activation.Notifier
	Metrics  *metricsEndpoint
	Reloader *reloader
	Takeover *takeover
}

func newUpgrader(in upgraderIn) *upgrader {
	u := &upgrader{log: in.Log, binary: newSelfBinary(), pool: handingPool{cfg: in.Cfg, sup: in.Sup, spawner: in.Spawner,
		sockets: in.Sockets, group: in.Group, dir: in.Dir, notifier: in.Notifier, metrics: in.Metrics, reloader: in.Reloader}}
	if f, err := os.Open("/proc/self/exe"); err == nil {
		u.running = f
	}
	if in.Takeover.state != nil {
		u.last = in.Takeover.record()
	}
	return u
}

// Start checks the binary on disk (runs it with --version, with a
// timeout), and begins an upgrade in the background; it returns the
// version it will run, or why it cannot start: a clear error saying what
// to do.
func (u *upgrader) Start(ctx context.Context) (toVersion string, err error) {
	u.mu.Lock()
	if u.busy {
		u.mu.Unlock()
		return "", errUpgradeRunning
	}
	u.busy = true
	u.mu.Unlock()
	started := time.Now()
	to, err := u.check(ctx)
	var state handedState
	if err == nil {
		u.setHanding(true)
		if state, err = u.freeze(ctx); err != nil {
			u.setHanding(false)
		}
	}
	if err != nil {
		u.finish(upgradeRecord{From: version, To: to, Started: started, Outcome: dbusapi.UpgradeRefused + err.Error()})
		return "", err
	}
	state.From, state.To, state.Started = version, to, started
	state.Config = u.pool.reloader.running()
	u.mu.Lock()
	if u.busDaemon != nil {
		state.BusDaemon = max(u.busDaemon(), 0)
	}
	u.mu.Unlock()
	u.log.Info("upgrading in place", "from", version, "to", to, "binary", u.binary.path, "workers", len(state.Workers))
	go func() {
		time.Sleep(replyGrace)
		u.exec(state)
	}()
	return to, nil
}

// check runs the binary on disk with --version and returns its version,
// or says why this pool cannot be upgraded in place.
func (u *upgrader) check(ctx context.Context) (string, error) {
	if u.binary == nil || u.running == nil {
		return "", errors.New("cannot tell which file poold runs from (/proc/self/exe unreadable): restart the service instead")
	}
	return probeVersion(ctx, u.binary.path)
}

// freeze stops the pool at a quiescent point and takes its state; a
// reload or restart under way refuses it.
func (u *upgrader) freeze(ctx context.Context) (handedState, error) {
	var st handedState
	var err error
	if st.Sockets, err = handSockets(u.pool.sockets); err != nil {
		return st, fmt.Errorf("hand the sockets over: %w", err)
	}
	// Not cut short by the caller's deadline: a freeze the loop took goes
	// on, and must end in the exec, or the pool stays frozen.
	st.Pool, err = u.pool.sup.Freeze(context.WithoutCancel(ctx), func() (err error) {
		st.Workers, err = u.pool.spawner.Freeze()
		return err
	})
	if err != nil {
		return st, err
	}
	// A pool still starting has not told READY=1: it has no reload to
	// announce, and the new poold tells READY=1 once the pool is ready.
	if st.Pool.ToldReady {
		if err := u.pool.notifier.Reloading("upgrading poold in place"); err != nil {
			u.log.Warn("tell systemd about the upgrade", "err", err)
		}
	}
	group := u.pool.group.HandOver()
	st.EverReady = group.EverReady
	if st.Slots, err = handSockets(group.Slots); err != nil {
		return st, u.abandon(fmt.Errorf("hand the distribution's sockets over: %w", err))
	}
	if st.RunDir, err = u.pool.dir.HandOver(); err != nil {
		return st, u.abandon(err)
	}
	if srv := u.pool.metrics.srv.Load(); srv != nil {
		fd, err := srv.HandOver()
		if err != nil {
			return st, u.abandon(err)
		}
		st.Metrics = &handedSocket{Name: "metrics", FD: fd}
	}
	return st, nil
}

// abandon is for a failure once the pool is frozen, which only an fd
// closed under poold causes: nothing reads its workers' fds or waits for
// their exits any more, so poold cannot go on as it was. It exits, its
// workers with it, for systemd to start it again.
func (u *upgrader) abandon(err error) error {
	u.log.Error("upgrade failed with the pool frozen: poold exits, for systemd to start it again", "err", err)
	os.Exit(exitFailure)
	return err
}

// exec hands the state over to the binary on disk, or, when it cannot
// run, to the binary that runs now: it returns only when neither could
// be exec'd, and then exits.
func (u *upgrader) exec(state handedState) {
	// A signal pending at the exec would meet the new poold with the
	// default disposition, which for these is to die, its workers with
	// it: ignored, they are dropped instead. A stop asked before is
	// carried in the state.
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR2)
	state.Exec = time.Now()
	u.mu.Lock()
	state.Stop = u.stopAsked
	u.mu.Unlock()
	memfd, err := handoff.Write(state)
	if err != nil {
		u.log.Error("upgrade: cannot write the pool's state: poold exits, for systemd to start it again", "err", err)
		os.Exit(exitFailure)
	}
	binaryFD, _ := handoff.FD(u.running)
	memFD, _ := handoff.FD(memfd)
	fds := append(state.fds(), memFD, binaryFD)
	env := append(os.Environ(), u.pool.notifier.Environ(os.Getpid())...)
	env = append(env, handoff.Env(memFD), handoff.EnvBinary+"="+strconv.Itoa(binaryFD))
	err = proc.Exec(u.binary.path, os.Args, env, fds)
	u.log.Error("upgrade: cannot exec the new binary: the running one takes over again", "binary", u.binary.path, "err", err)
	env = append(env, handoff.EnvFellBack+"=exec "+u.binary.path+": "+err.Error())
	err = proc.Exec(fallbackPath(binaryFD), os.Args, env, fds)
	u.log.Error("upgrade: cannot exec the running binary either: poold exits, for systemd to start it again", "err", err)
	os.Exit(exitFailure)
}

// fallbackPath execs the binary open on fd.
func fallbackPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// finish records an upgrade's outcome and lets the next one start.
func (u *upgrader) finish(rec upgradeRecord) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.busy, u.last = false, rec
	level := slog.LevelInfo
	if rec.Outcome != dbusapi.Upgraded {
		level = slog.LevelWarn
	}
	u.log.Log(context.Background(), level, "upgrade", "from", rec.From, "to", rec.To, "outcome", rec.Outcome)
}

// setHanding marks the time from the freeze to the exec, when a stop is
// the new poold's. A stop asked during a freeze that failed is asked
// again, of this poold.
func (u *upgrader) setHanding(on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.handing = on
	if !on && u.stopAsked {
		u.stopAsked = false
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}

// stopAfter reports whether a stop asked now is for the poold that the
// upgrade under way execs: the pool is frozen for it, and cannot drain.
func (u *upgrader) stopAfter() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.stopAsked = u.stopAsked || u.handing
	return u.handing
}

// serveBus tells the upgrader about the control plane's bus, whose
// private daemon an exec kills.
func (u *upgrader) serveBus(daemonPidFD func() int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.busDaemon = daemonPidFD
}

// took records the upgrade that started this poold, once it is ready.
func (u *upgrader) took(rec upgradeRecord) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.last = rec
}

// Last is the latest upgrade's record, carried over exec in the handed
// state.
func (u *upgrader) Last() upgradeRecord {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}
