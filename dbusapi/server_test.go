package dbusapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/testbound"
)

// bound ends a test stuck waiting for a signal; signals come in
// milliseconds. It grows with $POOLD_TEST_TIMEOUT_FACTOR.
var bound = testbound.Scale(10 * time.Second)

// fakeBackend stands in for the supervisor: the server's job is the bus
// surface, which these tests drive through a real dbus-daemon.
type fakeBackend struct {
	mu      sync.Mutex
	status  dbusapi.Status
	calls   []string
	err     error // returned by the next changing call
	changes *fakeChanges
}

// fakeChanges is a change feed the test writes.
type fakeChanges struct {
	ready chan struct{}
	mu    sync.Mutex
	queue []dbusapi.Change
}

func (c *fakeChanges) Ready() <-chan struct{} { return c.ready }

func (c *fakeChanges) Take() []dbusapi.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue = nil
	return q
}

func (c *fakeChanges) put(ch ...dbusapi.Change) {
	c.mu.Lock()
	c.queue = append(c.queue, ch...)
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

func newFakeBackend(name string) *fakeBackend {
	return &fakeBackend{
		changes: &fakeChanges{ready: make(chan struct{}, 1)},
		status: dbusapi.Status{
			Pool: dbusapi.PoolInfo{Name: name, State: "running", TargetWorkers: 2, ReadyWorkers: 2, Generation: 1, Command: []string{"app"},
				UpgradeOnInstall: true},
			Workers: []dbusapi.WorkerInfo{
				{ID: 1, Slot: 0, PID: 101, State: "ready", Generation: 1},
				{ID: 2, Slot: 1, PID: 102, State: "ready", Generation: 1},
			},
		},
	}
}

func (f *fakeBackend) Status(context.Context) (dbusapi.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status
	st.Workers = append([]dbusapi.WorkerInfo(nil), st.Workers...)
	return st, nil
}

func (f *fakeBackend) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	err := f.err
	f.err = nil
	return err
}

func (f *fakeBackend) Scale(_ context.Context, n int, allowZero bool) error {
	return f.record(fmt.Sprintf("scale %d %v", n, allowZero))
}

func (f *fakeBackend) Reload(context.Context) (int, error) { return 7, f.record("reload") }

func (f *fakeBackend) RestartWorker(_ context.Context, slot int) error {
	return f.record(fmt.Sprintf("restart %d", slot))
}

func (f *fakeBackend) SignalWorkers(_ context.Context, slot int, sig syscall.Signal) error {
	return f.record(fmt.Sprintf("signal %d %d", slot, sig))
}

func (f *fakeBackend) Broadcast(_ context.Context, data []byte) (int, error) {
	return 2, f.record("broadcast " + string(data))
}

func (f *fakeBackend) PushConfig(context.Context) (int, error) { return 2, f.record("push config") }

func (f *fakeBackend) Upgrade(context.Context) (string, error) { return "1.3.0", f.record("upgrade") }

func (f *fakeBackend) Changes() dbusapi.Changes { return f.changes }

// Usage gives figures derived from the PID, so that a test sees which
// worker's they are.
func (f *fakeBackend) Usage(pid uint32) (memory, cpuNSec uint64) {
	return uint64(pid) * 1000, uint64(pid)
}

// change edits the status and tells the server what happened, as the
// supervisor would.
func (f *fakeBackend) change(kind dbusapi.ChangeKind, worker uint64, edit func(*dbusapi.Status)) {
	f.mu.Lock()
	edit(&f.status)
	f.mu.Unlock()
	st, _ := f.Status(context.Background())
	f.changes.put(dbusapi.Change{Kind: kind, Worker: worker, Status: st})
}

func (f *fakeBackend) failNext(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeBackend) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type authFunc func(sender string) error

func (a authFunc) Check(_ context.Context, sender string) (dbusapi.Caller, error) {
	return dbusapi.Caller{Sender: sender, UID: 1000, HasUID: true, User: "alice", PID: 4242}, a(sender)
}

var allowAll = authFunc(func(string) error { return nil })

// serve runs a server for a fake pool on a fresh session bus and returns a
// client handle on it.
func serve(t *testing.T, name string, auth dbusapi.Authorizer) (*fakeBackend, *dbusapi.Pool, string) {
	t.Helper()
	return serveAudited(t, name, auth, nil)
}

// serveAudited is serve with the audit log going to audit.
func serveAudited(t *testing.T, name string, auth dbusapi.Authorizer, audit dbusapi.Auditor) (*fakeBackend, *dbusapi.Pool, string) {
	t.Helper()
	addr := bustest.StartSessionBus(t)
	fake := newFakeBackend(name)
	srvConn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvConn.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := dbusapi.NewServer(srvConn, dbusapi.BusSession, name, fake, auth, audit, log)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	bus, err := dbusapi.Dial(context.Background(), dbusapi.Address{Kind: dbusapi.BusSession, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return fake, bus.Pool(name), addr
}

func TestStatusReadsPoolAndWorkers(t *testing.T) {
	_, pool, _ := serve(t, "web-1", allowAll)
	st, err := pool.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pool.Name != "web-1" || st.Pool.ReadyWorkers != 2 || st.Pool.Bus != "session" || st.Pool.Command[0] != "app" {
		t.Errorf("pool = %+v", st.Pool)
	}
	if len(st.Workers) != 2 || st.Workers[1].PID != 102 || st.Workers[1].Path != dbusapi.WorkerPath(2) {
		t.Errorf("workers = %+v", st.Workers)
	}
	if w := st.Workers[1]; w.MemoryCurrent != 102000 || w.CPUUsageNSec != 102 {
		t.Errorf("worker 2's usage = %d bytes, %d ns; want the backend's sample 102000, 102", w.MemoryCurrent, w.CPUUsageNSec)
	}
	pools, err := pool.Bus().Pools(context.Background())
	if err != nil || len(pools) != 1 || pools[0] != "web-1" {
		t.Errorf("Pools() = %v, %v; want [web-1]", pools, err)
	}
}

func TestWorkerObjectsHaveProperties(t *testing.T) {
	_, pool, _ := serve(t, "web", allowAll)
	obj := pool.Bus().Conn().Object(dbusapi.BusName("web"), dbusapi.WorkerPath(2))
	v, err := obj.GetProperty(dbusapi.WorkerInterface + ".PID")
	if err != nil || v.Value() != uint32(102) {
		t.Errorf("PID of worker 2 = %v, %v; want 102", v, err)
	}
	if mem, err := obj.GetProperty(dbusapi.WorkerInterface + ".MemoryCurrent"); err != nil || mem.Value() != uint64(102000) {
		t.Errorf("MemoryCurrent of worker 2 = %v, %v; want the backend's sample 102000", mem, err)
	}
	gone := pool.Bus().Conn().Object(dbusapi.BusName("web"), dbusapi.WorkerPath(9))
	if _, err := gone.GetProperty(dbusapi.WorkerInterface + ".PID"); err == nil {
		t.Error("a worker that does not exist has properties")
	}
	var xml string
	if err := obj.Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(xml, `interface name="org.poold.pool1.Worker"`) || strings.Contains(xml, "Manager") {
		t.Errorf("worker introspection:\n%s", xml)
	}
	var dir string
	if err := pool.Bus().Conn().Object(dbusapi.BusName("web"), "/org/poold/pool1/worker").
		Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dir, `<node name="1"/>`) || !strings.Contains(dir, `<node name="2"/>`) {
		t.Errorf("worker directory introspection lists no workers:\n%s", dir)
	}
}

func TestChangingCallsReachTheBackend(t *testing.T) {
	fake, pool, _ := serve(t, "web", allowAll)
	ctx := context.Background()
	if err := pool.Scale(ctx, 0, dbusapi.ScaleAllowZero); err != nil {
		t.Fatal(err)
	}
	gen, err := pool.Reload(ctx)
	if err != nil || gen != 7 {
		t.Errorf("Reload() = %d, %v; want 7", gen, err)
	}
	if err := pool.RestartWorker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := pool.SignalWorkers(ctx, dbusapi.AllSlots, int32(syscall.SIGUSR2)); err != nil {
		t.Fatal(err)
	}
	if n, err := pool.Broadcast(ctx, `{"type":"invalidate"}`); err != nil || n != 2 {
		t.Errorf("Broadcast() = %d, %v; want 2", n, err)
	}
	if n, err := pool.PushConfig(ctx); err != nil || n != 2 {
		t.Errorf("PushConfig() = %d, %v; want 2", n, err)
	}
	if v, err := pool.Upgrade(ctx); err != nil || v != "1.3.0" {
		t.Errorf("Upgrade() = %q, %v; want 1.3.0", v, err)
	}
	if on, err := pool.UpgradeOnInstall(ctx); err != nil || !on {
		t.Errorf("UpgradeOnInstall() = %v, %v; want true", on, err)
	}
	want := []string{"scale 0 true", "reload", "restart 1", fmt.Sprintf("signal -1 %d", syscall.SIGUSR2),
		`broadcast {"type":"invalidate"}`, "push config", "upgrade"}
	if got := fake.recorded(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("backend calls = %q, want %q", got, want)
	}
}

func TestErrorsKeepTheirNameAndMessage(t *testing.T) {
	fake, pool, _ := serve(t, "web", allowAll)
	fake.failNext(dbusapi.WithKind(dbusapi.ErrBusy, errors.New("busy: a reload to generation 3 is in progress")))
	err := pool.Scale(context.Background(), 3, 0)
	if !errors.Is(err, dbusapi.ErrBusy) || err.Error() != "busy: a reload to generation 3 is in progress" {
		t.Errorf("Scale error = %v (%T), want ErrBusy with the backend's message", err, err)
	}
	err = pool.Scale(context.Background(), 3, 1<<5)
	if !errors.Is(err, dbusapi.ErrInvalidArgument) || !strings.Contains(err.Error(), "flags") {
		t.Errorf("Scale with an unknown flag: %v, want InvalidArgument naming the flags", err)
	}
	err = pool.SignalWorkers(context.Background(), -2, 1)
	if !errors.Is(err, dbusapi.ErrInvalidArgument) {
		t.Errorf("SignalWorkers(-2): %v, want InvalidArgument", err)
	}
	fake.failNext(errors.New("disk on fire"))
	err = pool.RestartWorker(context.Background(), 0)
	var de *dbusapi.Error
	if errors.As(err, &de) || err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("RestartWorker with an unnamed error: %v, want an Internal error with its message", err)
	}
	fake.failNext(dbusapi.WithKind(dbusapi.ErrUpgradeFailed, errors.New("/usr/bin/poold --version: exit status 1; reinstall poold")))
	_, err = pool.Upgrade(context.Background())
	if !errors.Is(err, dbusapi.ErrUpgradeFailed) || !strings.Contains(err.Error(), "reinstall poold") {
		t.Errorf("Upgrade with a broken binary: %v, want UpgradeFailed with the backend's message", err)
	}
	if got := len(fake.recorded()); got != 3 {
		t.Errorf("backend saw %d calls, want 3 (bad arguments stop at the server)", got)
	}
}

func TestChangingCallsNeedTheAuthorizer(t *testing.T) {
	refuse := authFunc(func(sender string) error {
		return fmt.Errorf("%w: %s is not root", dbusapi.ErrNotPermitted, sender)
	})
	fake, pool, _ := serve(t, "web", refuse)
	ctx := context.Background()
	if _, err := pool.Status(ctx); err != nil {
		t.Errorf("reading was refused: %v", err)
	}
	errs := []error{
		pool.Scale(ctx, 3, 0),
		pool.RestartWorker(ctx, 0),
		pool.SignalWorkers(ctx, 0, int32(syscall.SIGTERM)),
	}
	_, err := pool.Reload(ctx)
	errs = append(errs, err)
	_, err = pool.Broadcast(ctx, "1")
	errs = append(errs, err)
	_, err = pool.PushConfig(ctx)
	errs = append(errs, err)
	_, err = pool.Upgrade(ctx)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, dbusapi.ErrNotPermitted) {
			t.Errorf("call %d: %v, want ErrNotPermitted", i, err)
		}
	}
	if calls := fake.recorded(); len(calls) != 0 {
		t.Errorf("refused calls reached the backend: %q", calls)
	}
}

// watched serves a pool and watches its signals until the test ends.
func watched(t *testing.T) (*fakeBackend, <-chan dbusapi.Event) {
	t.Helper()
	fake, pool, _ := serve(t, "web", allowAll)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	events, err := pool.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fake, events
}

func TestSignalsFollowTheWorkers(t *testing.T) {
	fake, events := watched(t)
	fake.change(dbusapi.ChangeWorkerAdded, 3, func(st *dbusapi.Status) {
		st.Workers[0].State = "stopping"
		st.Workers[1].MemoryCurrent = 1 << 30 // not signalled
		st.Workers = append(st.Workers, dbusapi.WorkerInfo{ID: 3, Slot: 0, PID: 103, State: "starting", Generation: 2})
		st.Pool.Generation = 2
	})
	var sawNew, sawStopping, sawPool bool
	for !sawNew || !sawStopping || !sawPool {
		ev := next(t, events)
		switch {
		case ev.Kind == dbusapi.WorkerNew && ev.WorkerID == 3 && ev.Path == dbusapi.WorkerPath(3):
			sawNew = true
		case ev.Kind == dbusapi.WorkerChanged && ev.WorkerID == 1:
			if len(ev.Changed) != 1 || ev.Changed["State"].Value() != "stopping" {
				t.Errorf("worker 1 changed %v, want only State=stopping", ev.Changed)
			}
			sawStopping = true
		case ev.Kind == dbusapi.WorkerChanged && ev.WorkerID == 2:
			t.Errorf("worker 2 announced a change of an unsignalled property: %v", ev.Changed)
		case ev.Kind == dbusapi.PoolChanged:
			if ev.Changed["Generation"].Value() != uint32(2) {
				t.Errorf("pool changed %v, want Generation=2", ev.Changed)
			}
			sawPool = true
		}
	}
	fake.change(dbusapi.ChangeWorkerRemoved, 1, func(st *dbusapi.Status) { st.Workers = st.Workers[1:] })
	for {
		ev := next(t, events)
		if ev.Kind == dbusapi.WorkerRemoved {
			if ev.WorkerID != 1 {
				t.Errorf("removed worker %d, want 1", ev.WorkerID)
			}
			return
		}
	}
}

// A worker that came and went between two reads of the feed is signalled
// all the same, and lost changes are made up for from the snapshots.
func TestSignalsAnnounceWhatCameAndWent(t *testing.T) {
	fake, events := watched(t)
	st, _ := fake.Status(context.Background())
	fake.changes.put(
		dbusapi.Change{Kind: dbusapi.ChangeWorkerAdded, Worker: 4, Status: st},
		dbusapi.Change{Kind: dbusapi.ChangeWorkerRemoved, Worker: 4, Status: st},
	)
	fake.change(dbusapi.ChangeResync, 0, func(st *dbusapi.Status) {
		st.Workers = []dbusapi.WorkerInfo{st.Workers[0], {ID: 5, Slot: 1, PID: 105, State: "starting", Generation: 1}}
	})
	want := []string{"new 4", "removed 4", "removed 2", "new 5"}
	var got []string
	for len(got) < len(want) {
		switch ev := next(t, events); ev.Kind {
		case dbusapi.WorkerNew:
			got = append(got, fmt.Sprintf("new %d", ev.WorkerID))
		case dbusapi.WorkerRemoved:
			got = append(got, fmt.Sprintf("removed %d", ev.WorkerID))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("signals %q, want %q", got, want)
	}
}

func next(t *testing.T, events <-chan dbusapi.Event) dbusapi.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("event channel closed")
		}
		return ev
	case <-time.After(bound):
		t.Fatal("no signal")
	}
	return dbusapi.Event{}
}

func TestSecondPoolOfTheSameNameIsRefused(t *testing.T) {
	_, _, addr := serve(t, "web", allowAll)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := dbusapi.NewServer(conn, dbusapi.BusSession, "web", newFakeBackend("web"), allowAll, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err = srv.Start()
	if !errors.Is(err, dbusapi.ErrNameTaken) || !strings.Contains(err.Error(), `another pool named web is running (poold pid `+strconv.Itoa(os.Getpid())+`, on the session bus)`) {
		t.Errorf("second Start() = %v, want a clear refusal", err)
	}
}
