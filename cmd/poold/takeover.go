package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/handoff"
	"github.com/poold/poold/internal/metrics"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/supervisor"
)

// failTakeover, set at link time (-ldflags "-X main.failTakeover=REASON"),
// makes a poold started by an upgrade fail to take over and fall back, as
// soon as it has read the state, or with "late: REASON" once its pool runs:
// for the tests of the fallback.
var failTakeover = ""

// lateFailure is failTakeover's "late: " prefix.
const lateFailure = "late: "

// takeover is the state a poold was handed by the one that exec'd it for
// an upgrade in place (state nil when poold started anew), and the way
// back to that poold's binary when this one cannot take over.
type takeover struct {
	state    *handedState
	fellBack string    // why a new binary handed back to this one; "" when not
	env      []string  // the environment poold was exec'd with
	memfd    *os.File  // the state
	binary   int       // the handing poold's binary, -1 when none
	saved    [][2]int  // each handed fd and a copy of it, for the fallback
	ready    time.Time // when the pool told systemd READY=1
}

// readTakeover reads the handed state, if any. A state this poold cannot
// read is handed back at once (fallBack does not return): nothing of it
// has been touched.
func readTakeover() *takeover {
	t := &takeover{env: os.Environ(), binary: -1}
	if v, ok := os.LookupEnv(handoff.EnvBinary); ok {
		os.Unsetenv(handoff.EnvBinary)
		if fd, err := strconv.Atoi(v); err == nil {
			t.binary = fd
		}
	}
	t.fellBack, _ = os.LookupEnv(handoff.EnvFellBack)
	os.Unsetenv(handoff.EnvFellBack)
	memfd, err := handoff.FromEnv()
	if err != nil || memfd == nil {
		if err != nil {
			t.fallBack(err.Error())
		}
		return t
	}
	t.memfd = memfd
	var st handedState
	if err := handoff.Read(memfd, &st); err != nil {
		t.fallBack(err.Error())
	}
	t.state = &st
	t.keep()
	if failTakeover != "" && !strings.HasPrefix(failTakeover, lateFailure) && t.fellBack == "" {
		t.fallBack(failTakeover)
	}
	return t
}

// keep copies each handed fd, close-on-exec, and makes the fd itself
// close-on-exec: what takes it over may close it, the copy goes back to
// the old binary if this one cannot take over (handBack).
func (t *takeover) keep() {
	for _, fd := range t.state.fds() {
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			t.fallBack(fmt.Sprintf("keep handed fd %d: %v", fd, err))
		}
		t.saved = append(t.saved, [2]int{fd, dup})
		_ = handoff.Reclaim(fd)
	}
}

// fallBack execs the binary that handed the state over, with the same
// state and fds, and why: nothing of the pool is lost. It returns only
// when it cannot, which ends poold (and its workers).
func (t *takeover) fallBack(reason string) {
	fmt.Fprintf(os.Stderr, "poold %s: cannot take over from the poold before the upgrade (%s): handing back to it\n", version, reason)
	if t.fellBack != "" || t.binary < 0 {
		fmt.Fprintf(os.Stderr, "poold: no binary to hand back to (after: %s): exiting\n", t.fellBack)
		os.Exit(exitFailure)
	}
	fds, memfd := t.handBack()
	if memfd < 0 {
		fmt.Fprintln(os.Stderr, "poold: no state to hand back: exiting")
		os.Exit(exitFailure)
	}
	env := append(withoutHandoff(t.env), handoff.Env(memfd),
		handoff.EnvFellBack+"="+oneLine(reason), handoff.EnvBinary+"="+strconv.Itoa(t.binary))
	err := proc.Exec(fallbackPath(t.binary), os.Args, env, append(fds, t.binary, memfd))
	fmt.Fprintf(os.Stderr, "poold: exec the binary before the upgrade: %v: exiting\n", err)
	os.Exit(exitFailure)
}

// handBack returns the fds to hand back and the state's memfd. A state
// read is handed back with the copies keep made, which nothing of this
// poold touched, in a new memfd; one not read goes back as it came.
func (t *takeover) handBack() (fds []int, memfd int) {
	if t.state == nil {
		fd, _ := handoff.FD(t.memfd)
		return nil, fd
	}
	copies := make(map[int]int, len(t.saved))
	for _, s := range t.saved {
		copies[s[0]] = s[1]
		fds = append(fds, s[1])
	}
	f, err := handoff.Write(t.state.remap(func(fd int) int {
		if c, ok := copies[fd]; ok {
			return c
		}
		return fd
	}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "poold: hand the state back: %v: exiting\n", err)
		os.Exit(exitFailure)
	}
	fd, _ := handoff.FD(f)
	return fds, fd
}

// withoutHandoff is env without the handoff's variables, which fallBack
// sets anew.
func withoutHandoff(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k != handoff.EnvFD && k != handoff.EnvBinary && k != handoff.EnvFellBack {
			out = append(out, kv)
		}
	}
	return out
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// done drops what the fallback needed, once the pool runs: the copies of
// the handed fds and the state.
func (t *takeover) done() {
	for _, s := range t.saved {
		unix.Close(s[1])
	}
	t.saved = nil
	if t.memfd != nil {
		t.memfd.Close()
	}
	if t.binary >= 0 {
		unix.Close(t.binary)
	}
}

// failLate is failTakeover's late failure, once the pool runs.
func (t *takeover) failLate() {
	if reason, ok := strings.CutPrefix(failTakeover, lateFailure); ok && t.fellBack == "" {
		t.fallBack(reason)
	}
}

// announce tells systemd that this process, the same PID, is the main
// process, and ready unless the pool was still starting (its loop tells
// READY=1 then, once it is), and logs how the upgrade went.
func (t *takeover) announce(n *activation.Notifier, log *slog.Logger) {
	t.ready = time.Now()
	rec := t.record()
	if err := n.MainPID(os.Getpid(), t.state.Pool.ToldReady, rec.Outcome+": poold "+version); err != nil {
		log.Warn("tell systemd the upgrade is done", "err", err)
	}
	log.Info("upgrade in place done", "from", rec.From, "to", rec.To, "outcome", rec.Outcome,
		"duration", rec.Duration.Round(time.Microsecond), "since_exec", t.ready.Sub(t.state.Exec).Round(time.Microsecond),
		"workers", len(t.state.Workers))
}

// reapBusDaemon waits for the private bus's daemon of the poold that
// handed over, which the exec killed: it is this process's child, which
// nothing else waits for, and would stay a zombie. A pidfd names that
// process alone, whatever became of its PID.
func (t *takeover) reapBusDaemon(log *slog.Logger) {
	pidfd := t.state.BusDaemon
	if pidfd <= 0 {
		return
	}
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED, nil)
	for err == unix.EINTR {
		err = unix.Waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED, nil)
	}
	if err != nil {
		log.Warn("reap the private bus's daemon of the poold before the upgrade", "err", err)
		return
	}
	unix.Close(pidfd)
}

// failed hands back to the binary before the upgrade when poold cannot
// start from the handed state; it does nothing for a poold started anew.
func (t *takeover) failed(err error) {
	if t.state != nil {
		t.fallBack(err.Error())
	}
}

// runtimeDir makes poold's runtime directory, or takes over the handed one.
func (t *takeover) runtimeDir(cfg config.Config, log *slog.Logger) (*rundir.Dir, error) {
	if t.state == nil {
		return newRuntimeDir(cfg, log)
	}
	return rundir.Resume(runtimeDirOptions(cfg, log), t.state.RunDir)
}

// adopter takes over the handed workers with sp.
func (t *takeover) adopter(sp *proc.Spawner) supervisor.Adopter {
	byID := make(map[supervisor.WorkerID]proc.Handed, len(t.state.Workers))
	for _, h := range t.state.Workers {
		byID[supervisor.WorkerID(h.ID)] = h
	}
	return func(w supervisor.FrozenWorker, probe bool, sink supervisor.Sink) (supervisor.Process, error) {
		h, ok := byID[w.ID]
		if !ok {
			return nil, fmt.Errorf("worker %d was not handed over", w.ID)
		}
		return sp.Adopt(h, probe, sink)
	}
}

// record is the upgrade as this poold tells it.
func (t *takeover) record() upgradeRecord {
	rec := upgradeRecord{From: t.state.From, To: version, Started: t.state.Started}
	if t.ready.IsZero() {
		return rec // in progress until systemd is told: no outcome yet
	}
	rec.Duration = t.ready.Sub(t.state.Started)
	rec.Outcome = dbusapi.Upgraded
	if t.fellBack != "" {
		rec.Outcome = dbusapi.UpgradeFellBack + t.fellBack
	}
	return rec
}

// sockets are the pool's sockets and the distribution slots' kept ones:
// those handed over, or as a start finds them (openSockets).
func (t *takeover) sockets(cfg config.Config, n *activation.Notifier, log *slog.Logger) ([]activation.Socket, keptSlots, error) {
	if t.state == nil {
		return openSockets(cfg, n, log)
	}
	socks, err := adoptSockets(t.state.Sockets)
	if err != nil {
		return nil, nil, fmt.Errorf("handed sockets: %w", err)
	}
	slots, err := adoptSockets(t.state.Slots)
	if err != nil {
		return nil, nil, fmt.Errorf("handed sockets of the distribution's slots: %w", err)
	}
	logSockets(log, "sockets handed over", socks)
	return socks, slots, nil
}

// metrics serves h on the handed metrics socket, or binds --metrics-listen.
func (t *takeover) metrics(cfg config.Config, h http.Handler, log *slog.Logger) (*metrics.Server, error) {
	if t.state == nil || t.state.Metrics == nil {
		return metrics.Listen(cfg.MetricsListen, h, log)
	}
	return metrics.Adopt(t.state.Metrics.FD, h, log)
}

// cgroups sets up the workers' cgroups, sparing those of the handed
// workers.
func (t *takeover) cgroups(d cgroup.Delegation, log *slog.Logger) (*cgroup.Workers, error) {
	if t.state == nil {
		return cgroup.Setup(d, log)
	}
	var kept []string
	for _, w := range t.state.Workers {
		if w.Cgroup {
			kept = append(kept, cgroup.WorkerName(w.Slot, w.ID))
		}
	}
	return cgroup.SetupAfterUpgrade(d, log, kept)
}

// group is what the distribution's group was handed besides its sockets;
// nil for a poold started anew.
func (t *takeover) group() *distribute.Handed {
	if t.state == nil {
		return nil
	}
	return &distribute.Handed{EverReady: t.state.EverReady}
}

// config is the configuration the handing poold ran, over cfg as this
// binary parsed it, for this binary's defaults of what the other did not
// know of; over none when it did not parse (parseErr). It hands back when
// it cannot.
func (t *takeover) config(cfg config.Config, parseErr error) config.Config {
	if parseErr != nil {
		cfg = config.Config{}
	}
	running, err := json.Marshal(t.state.Config)
	if err == nil {
		err = json.Unmarshal(running, &cfg)
	}
	if err != nil {
		t.fallBack("the running configuration: " + err.Error())
	}
	return cfg
}
