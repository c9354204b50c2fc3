package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/plural"
	"github.com/poold/poold/internal/supervisor"
)

// backend adapts the supervisor to dbusapi.Backend: it translates types and
// errors and adds what the supervisor does not know (how the count was
// chosen, the sockets, the workers' memory and CPU).
type backend struct {
	sup    *supervisor.Supervisor
	hub    *channel.Hub
	config workerConfig
	reload *reloader
	// size is the worker count the configuration asks for and why: the
	// start's, or the reloader's once it runs.
	size    func() sizing
	cgroups workerCgroups
	static  dbusapi.PoolInfo
	events  *supervisor.Subscription // the server's, made before the loop runs
	binary  *selfBinary
	// upgrades is poold's own upgrader; nil in tests that do not upgrade.
	upgrades *upgrader
}

func newBackend(cfg config.Config, sup *supervisor.Supervisor, size sizing, socks []activation.Socket, hub *channel.Hub, wc workerConfig, cg workerCgroups) *backend {
	listen := make([]string, 0, len(socks))
	for _, s := range socks {
		listen = append(listen, s.Name+"="+s.Addr)
	}
	return &backend{sup: sup, hub: hub, config: wc, size: func() sizing { return size }, cgroups: cg, events: sup.Events(), binary: newSelfBinary(), static: dbusapi.PoolInfo{
		Name:             cfg.Name,
		Version:          version,
		WorkersReason:    size.reason,
		ReadyMode:        cfg.Ready.String(),
		Listen:           listen,
		Command:          cfg.Command,
		MainPID:          uint32(os.Getpid()),
		Distribution:     cfg.Distribution.String(),
		WorkerCgroups:    cg.summary,
		UpgradeOnInstall: cfg.UpgradeOnInstall,
	}}
}

func (b *backend) Status(ctx context.Context) (dbusapi.Status, error) {
	st, err := b.sup.Status(ctx)
	if err != nil {
		return dbusapi.Status{}, apiError(err)
	}
	api := b.apiStatus(st)
	api.Pool.BinaryReplaced, api.Pool.ReplacementVersion = b.binary.replaced(ctx)
	if b.upgrades != nil {
		api.Pool.LastUpgrade = upgradeInfo(b.upgrades.Last())
	}
	return api, nil
}

// apiStatus is st as the bus shows it, but for the binary on disk, which
// poold looks at only when asked.
func (b *backend) apiStatus(st supervisor.Status) dbusapi.Status {
	pool := b.static
	pool.State = st.State.String()
	pool.StatusText = st.Summary
	pool.TargetWorkers = uint32(st.Target)
	size := b.size()
	pool.WorkersReason = size.reason
	if st.Target != size.workers {
		pool.WorkersReason = fmt.Sprintf("%s set by Scale; configured: %s", plural.Of(st.Target, "worker"), size.reason)
	}
	pool.MaxWorkers = uint32(st.MaxWorkers)
	pool.ReadyWorkers = uint32(st.Ready)
	pool.StartingWorkers = uint32(st.Starting)
	pool.StoppingWorkers = uint32(st.Stopping)
	pool.Generation = uint32(st.Generation)
	pool.FailingSlots = failingSlots(st.Slots)
	pool.Generations = generations(st.Generations)
	for _, g := range st.Generations {
		if g.Generation == st.Generation {
			pool.Command = g.Command
		}
	}
	workers := make([]dbusapi.WorkerInfo, 0, len(st.Workers))
	for _, w := range st.Workers {
		workers = append(workers, b.workerInfo(w))
	}
	return dbusapi.Status{Pool: pool, Workers: workers}
}

func (b *backend) workerInfo(w supervisor.WorkerStatus) dbusapi.WorkerInfo {
	info := dbusapi.WorkerInfo{
		ID:                uint64(w.ID),
		Slot:              uint32(w.Slot),
		PID:               uint32(w.PID),
		State:             w.State.String(),
		Generation:        uint32(w.Generation),
		StartedUSec:       usec(w.Started),
		ReadyUSec:         usec(w.ReadySince),
		LastHeartbeatUSec: usec(w.LastHeartbeat),
		Restarts:          uint32(w.Restarts),
		StatusText:        w.StatusText,
		MetricsUSec:       usec(w.MetricsAt),
		LoopDelayP99USec:  uint64(w.Metrics.LoopDelayP99.Microseconds()),
		LoopDelayMaxUSec:  uint64(w.Metrics.LoopDelayMax.Microseconds()),
		HeapUsedBytes:     w.Metrics.HeapUsedBytes,
		HeapTotalBytes:    w.Metrics.HeapTotalBytes,
		RequestsTotal:     w.Metrics.Requests,
		ActiveRequests:    w.Metrics.ActiveRequests,
	}
	if ch, ok := b.hub.Stats(uint64(w.ID)); ok {
		info.ChannelOpen, info.MessagesDropped = ch.Open, ch.Dropped
	}
	return info
}

// Usage is a worker's memory and CPU: its cgroup's where it has one of its
// own, else from /proc; 0 ("unknown") once it is gone.
func (b *backend) Usage(pid uint32) (memory, cpuNSec uint64) {
	return b.cgroups.usage(int(pid))
}

func usec(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixMicro())
}

func (b *backend) Scale(ctx context.Context, workers int, allowZero bool) error {
	zero := supervisor.RefuseZero
	if allowZero {
		zero = supervisor.AllowZero
	}
	return apiError(b.sup.Scale(ctx, workers, zero))
}

func (b *backend) Reload(ctx context.Context) (int, error) {
	gen, err := b.reload.reload(ctx)
	return gen, apiError(err)
}

func (b *backend) Broadcast(_ context.Context, data []byte) (int, error) {
	msg, err := channel.CheckData(data)
	if err != nil {
		return 0, dbusapi.WithKind(dbusapi.ErrInvalidArgument, fmt.Errorf("broadcast: %w", err))
	}
	return b.hub.Broadcast(msg), nil
}

func (b *backend) PushConfig(context.Context) (int, error) {
	if b.config.path == "" {
		return 0, dbusapi.WithKind(dbusapi.ErrInvalidArgument, errors.New("no worker config to push: start poold with --worker-config FILE (worker-config = FILE in its config file)"))
	}
	n, err := b.config.push()
	if err != nil {
		return 0, dbusapi.WithKind(dbusapi.ErrReloadFailed, err)
	}
	return n, nil
}

func (b *backend) RestartWorker(ctx context.Context, slot int) error {
	return apiError(b.sup.RestartWorker(ctx, slot))
}

func (b *backend) SignalWorkers(ctx context.Context, slot int, sig syscall.Signal) error {
	return apiError(b.sup.Signal(ctx, slot, sig))
}

// Upgrade starts replacing poold in place; the caller reads LastUpgrade from
// the poold that runs afterwards.
func (b *backend) Upgrade(ctx context.Context) (string, error) {
	if b.upgrades == nil {
		return "", dbusapi.WithKind(dbusapi.ErrUpgradeFailed, errors.New("this poold cannot upgrade in place: restart it to run the new binary"))
	}
	to, err := b.upgrades.Start(ctx)
	return to, upgradeError(err)
}

// upgradeError names why an upgrade did not start: busy while another
// upgrade or a reload runs, else failed, with the upgrader's reason.
func upgradeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errUpgradeRunning):
		return dbusapi.WithKind(dbusapi.ErrBusy, err)
	}
	if named := apiError(err); named != err {
		return named
	}
	return dbusapi.WithKind(dbusapi.ErrUpgradeFailed, err)
}

func upgradeInfo(r upgradeRecord) dbusapi.UpgradeInfo {
	return dbusapi.UpgradeInfo{From: r.From, To: r.To, StartedUSec: usec(r.Started),
		DurationUSec: uint64(max(r.Duration, 0).Microseconds()), Outcome: r.Outcome}
}

func (b *backend) Changes() dbusapi.Changes { return changeFeed{b} }

// changeFeed is the supervisor's events as the bus server reads them.
type changeFeed struct{ b *backend }

func (f changeFeed) Ready() <-chan struct{} { return f.b.events.Ready() }

func (f changeFeed) Take() []dbusapi.Change {
	evs := f.b.events.Take()
	changes := make([]dbusapi.Change, 0, len(evs))
	for _, ev := range evs {
		c := dbusapi.Change{Kind: dbusapi.ChangeProperties, Status: f.b.apiStatus(ev.Snapshot())}
		switch ev := ev.(type) {
		case supervisor.WorkerStarted:
			c.Kind, c.Worker = dbusapi.ChangeWorkerAdded, uint64(ev.Worker.ID)
		case supervisor.WorkerExited:
			c.Kind, c.Worker = dbusapi.ChangeWorkerRemoved, uint64(ev.Worker.ID)
		case supervisor.Resync:
			c.Kind = dbusapi.ChangeResync
		}
		changes = append(changes, c)
	}
	return changes
}

// apiError marks supervisor errors with the dbusapi kind that names them on
// the bus.
func apiError(err error) error {
	var reloadErr *supervisor.ReloadError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, supervisor.ErrInvalidArgument):
		return dbusapi.WithKind(dbusapi.ErrInvalidArgument, err)
	case errors.Is(err, supervisor.ErrBusy):
		return dbusapi.WithKind(dbusapi.ErrBusy, err)
	case errors.Is(err, supervisor.ErrShuttingDown), errors.Is(err, supervisor.ErrStopped):
		return dbusapi.WithKind(dbusapi.ErrShuttingDown, err)
	case errors.Is(err, supervisor.ErrNoSuchWorker):
		return dbusapi.WithKind(dbusapi.ErrNoSuchWorker, err)
	case errors.As(err, &reloadErr):
		return dbusapi.WithKind(dbusapi.ErrReloadFailed, err)
	}
	return err
}

// generations are the live generations as the bus shows them; arrays are
// never nil, as D-Bus has no null one.
func generations(gens []supervisor.GenerationStatus) []dbusapi.GenerationInfo {
	out := make([]dbusapi.GenerationInfo, 0, len(gens))
	for _, g := range gens {
		c := g.Changes
		info := dbusapi.GenerationInfo{Generation: uint32(g.Generation), From: uint32(g.From), Workers: uint32(g.Workers),
			Command: g.Command, CommandFrom: c.CommandFrom, CommandTo: c.CommandTo,
			EnvAdded: c.EnvAdded, EnvRemoved: c.EnvRemoved, EnvChanged: c.EnvChanged, Other: c.Other}
		out = append(out, info.WithEmptyLists())
	}
	return out
}

func failingSlots(slots []supervisor.SlotStatus) []dbusapi.SlotInfo {
	out := make([]dbusapi.SlotInfo, 0, len(slots))
	for _, s := range slots {
		out = append(out, dbusapi.SlotInfo{Slot: uint32(s.Slot), CrashLooping: s.CrashLooping, Failures: uint32(s.Failures),
			LastExit: s.LastExit, LastOutput: nonNil(s.LastOutput), NextStartUSec: usec(s.NextStart)})
	}
	return out
}

// nonNil: D-Bus has no null array, and a nil one compares unequal to an
// empty one in PropertiesChanged.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
