package supervisor

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/clock/clocktest"
	"github.com/poold/poold/internal/logging/logtest"
	"github.com/poold/poold/internal/notify"
	"github.com/poold/poold/internal/testbound"
)

type fakeProc struct {
	pid int
	mu  sync.Mutex
	got []syscall.Signal
}

func (p *fakeProc) PID() int { return p.pid }

func (p *fakeProc) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, sig)
	return nil
}

func (p *fakeProc) signals() []syscall.Signal {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]syscall.Signal(nil), p.got...)
}

type spawned struct {
	req  SpawnRequest
	proc *fakeProc
}

// fakeSpawner records every spawn; failNext makes the next spawns fail.
type fakeSpawner struct {
	mu       sync.Mutex
	spawns   []spawned
	failNext int
}

func (f *fakeSpawner) Spawn(req SpawnRequest, _ Sink) (Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return nil, syscall.ENOENT
	}
	p := &fakeProc{pid: 1000 + int(req.ID)}
	f.spawns = append(f.spawns, spawned{req, p})
	return p, nil
}

func (f *fakeSpawner) all() []spawned {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]spawned(nil), f.spawns...)
}

type fakeNotifier struct {
	mu       sync.Mutex
	sent     []string // "READY: summary", "STATUS: summary", "STOPPING: ...", "WATCHDOG"
	interval time.Duration
}

func (n *fakeNotifier) record(s string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, s)
	return nil
}
func (n *fakeNotifier) Ready(s string) error            { return n.record("READY: " + s) }
func (n *fakeNotifier) Status(s string) error           { return n.record("STATUS: " + s) }
func (n *fakeNotifier) Stopping(s string) error         { return n.record("STOPPING: " + s) }
func (n *fakeNotifier) Reloading(s string) error        { return n.record("RELOADING: " + s) }
func (n *fakeNotifier) Watchdog() error                 { return n.record("WATCHDOG") }
func (n *fakeNotifier) WatchdogInterval() time.Duration { return n.interval }

func (n *fakeNotifier) messages() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent...)
}

// pool is a supervisor running on fakes.
type pool struct {
	t        *testing.T
	sup      *Supervisor
	clock    *clocktest.Fake
	spawner  *fakeSpawner
	notifier *fakeNotifier
	cancel   context.CancelFunc
	runErr   chan error
	events   *Subscription  // subscribed before Run started
	logs     logtest.Buffer // what the supervisor logged
}

func startPool(t *testing.T, opts Options, notifier *fakeNotifier) *pool {
	t.Helper()
	return startPoolWith(t, opts, notifier, nil)
}

// startPoolWith is startPool with setup run on the supervisor before Run.
func startPoolWith(t *testing.T, opts Options, notifier *fakeNotifier, setup func(*Supervisor)) *pool {
	t.Helper()
	if notifier == nil {
		notifier = &fakeNotifier{}
	}
	p := &pool{t: t, clock: clocktest.NewFake(), spawner: &fakeSpawner{}, notifier: notifier, runErr: make(chan error, 1)}
	log := slog.New(slog.NewTextHandler(&p.logs, nil))
	sup, err := New(testOptions(opts), p.spawner, notifier, log, p.clock)
	if err != nil {
		t.Fatal(err)
	}
	p.sup = sup
	p.events = sup.Events()
	if setup != nil {
		setup(sup)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.runErr <- sup.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		// Queued after every event the test posted, so that none of them
		// starts a worker after the list below is taken (the loop may see
		// them before the cancelled context).
		sup.post(shutdownRequest{})
		_, _ = sup.Status(context.Background()) // ErrStopped once the loop has ended
		for _, s := range p.spawner.all() {
			sup.post(Exited{ID: s.req.ID, Status: ExitStatus{Signal: syscall.SIGTERM}})
		}
		<-sup.Done()
	})
	return p
}

// status is also the barrier: every event posted before it has been handled.
func (p *pool) status() Status {
	p.t.Helper()
	st, err := p.sup.Status(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

func (p *pool) spawns() []spawned {
	p.status()
	return p.spawner.all()
}

func (p *pool) advance(d time.Duration) {
	p.status() // let the loop arm its timer for everything posted so far
	p.clock.Advance(d)
	p.status() // and handle the ticks that fired
}

// notified posts a notify message from worker id.
func (p *pool) notified(id WorkerID, m notify.Message) {
	p.sup.post(Notified{ID: id, Datagram: notify.Datagram{Message: m}})
}

func (p *pool) ready(id WorkerID) { p.notified(id, notify.Message{Ready: true}) }

func (p *pool) exit(id WorkerID, code int) {
	p.sup.post(Exited{ID: id, Status: ExitStatus{Code: code}})
}

// async runs a request on its own goroutine; its error arrives on the channel.
func async(f func() error) chan error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return done
}

func (p *pool) restart(slot int) chan error {
	return async(func() error { return p.sup.RestartWorker(context.Background(), slot) })
}

// pending reports whether a result has arrived, without waiting.
func pending(c chan error) bool { return len(c) > 0 }

func (p *pool) crash(id WorkerID) { p.exit(id, 1) }

// waitUntil waits, through status barriers, until cond holds: a request
// sent from another goroutine reaches the loop at some point. It yields
// between barriers so that goroutine gets to run, and gives up after 10s
// of wall time (a hung test, not a timing assumption).
func (p *pool) waitUntil(what string, cond func(Status) bool) Status {
	p.t.Helper()
	for deadline := time.Now().Add(testbound.Scale(10 * time.Second)); time.Now().Before(deadline); runtime.Gosched() {
		if st := p.status(); cond(st) {
			return st
		}
	}
	p.t.Fatalf("never reached: %s", what)
	return Status{}
}

// testOptions fills what a test leaves zero with poold's defaults, as
// config would (config.Default*), so that each test sets only what it is
// about.
func testOptions(o Options) Options {
	if o.Ready == 0 {
		o.Ready = ReadyAuto
	}
	if o.ReadyDelay == 0 {
		o.ReadyDelay = time.Second
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = 30 * time.Second
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = max(64, o.Workers)
	}
	if o.MinReady == 0 {
		o.MinReady = o.Workers
	}
	if o.Backoff.Initial == 0 {
		o.Backoff.Initial = 100 * time.Millisecond
	}
	if o.Backoff.Max == 0 {
		o.Backoff.Max = 30 * time.Second
	}
	if o.Backoff.StableAfter == 0 {
		o.Backoff.StableAfter = 10 * time.Second
	}
	return o
}
