package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/poold/poold/internal/logging"
)

// Notifier tells the service manager about the pool (activation.Notifier).
// Every method is a no-op when poold does not run under systemd.
type Notifier interface {
	Ready(status string) error
	Status(status string) error
	Stopping(status string) error
	Reloading(status string) error
	Watchdog() error
	WatchdogInterval() time.Duration
}

// Supervisor runs one pool. Create it with New, run it with Run, and talk to
// it through its request methods from any goroutine.
type Supervisor struct {
	opts     Options
	spawner  Spawner
	notifier Notifier
	log      *slog.Logger
	clock    Clock
	// warnings limits the warnings about what one worker keeps doing wrong.
	warnings *logging.Limiter

	events chan message
	done   chan struct{}
	// runMu guards ran and closed: Run runs once, and not after a Shutdown
	// that came first.
	runMu       sync.Mutex
	ran, closed bool

	subMu         sync.Mutex      // guards subscriptions, appended by Events from any goroutine
	subscriptions []*Subscription // one per Events call, fed by publish

	// Owned by the loop goroutine.
	// target and minReady start as the options' Workers and MinReady and
	// follow Scale: the options stay what was configured.
	target, minReady int
	workers          map[WorkerID]*worker
	slots            []slotState
	lastID           WorkerID
	// generation is the pool's: 1, then that of the last reload that
	// succeeded. lastGeneration is the last one a reload took, failed or
	// not: numbers are not reused.
	generation, lastGeneration int
	// generations holds the spec of every live generation (see
	// forgetGenerations).
	generations  map[int]Generation
	shuttingDown bool
	rollout      *rollout
	reloadFailed string // why the last reload failed; empty once one succeeds
	toldReady    bool   // READY=1 sent since the start
	lastSummary  string
	published    Status        // the snapshot publish last announced
	steer        func(Status)  // see Steer; set before Run
	steered      Status        // the snapshot steer last had
	emitted      []unpublished // this iteration's events, for publish
	counters     Counters
	nextHealth   time.Time // when checkHealth runs next; zero when off
	nextRecycle  time.Time // no recycle before: one failed
	// pendingReload waits for a recycle to finish: a reload is not refused
	// for what the pool did on its own.
	pendingReload *reloadRequest
	// freezing is set while a Freeze waits for its quiesce, parked once
	// the loop handed its state over; resume ends parked.
	freezing  *freezing
	parked    bool
	resume    chan struct{}
	nextPing  time.Time
	timerAt   time.Time
	stopTimer func() bool
}

// New checks the options' invariants and returns a supervisor that has not
// started any worker yet.
func New(opts Options, spawner Spawner, notifier Notifier, log *slog.Logger, clock Clock) (*Supervisor, error) {
	opts = opts.withLoopDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("pool %q: %w", opts.Name, err)
	}
	return &Supervisor{
		opts:       opts,
		spawner:    spawner,
		notifier:   notifier,
		log:        log,
		clock:      clock,
		warnings:   logging.NewLimiter(logging.WarnBurst, logging.WarnEvery, clock),
		events:     make(chan message, 256),
		resume:     make(chan struct{}),
		done:       make(chan struct{}),
		target:     opts.Workers,
		minReady:   opts.MinReady,
		workers:    make(map[WorkerID]*worker),
		generation: 1, lastGeneration: 1,
		generations: map[int]Generation{1: {Spec: opts.Spec}},
	}, nil
}

// Done is closed when Run has returned.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Run starts the workers and supervises them until ctx is cancelled or
// Shutdown is called, then drains them: SIGTERM, and SIGKILL for those still
// running after the stop timeout. It returns once no worker is left. Like
// net/http's Serve after Shutdown, it returns ErrClosed at once, starting
// nothing, once Shutdown or another Run has come first.
func (s *Supervisor) Run(ctx context.Context) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer close(s.done)
	defer s.cancelTimer()
	if iv := s.notifier.WatchdogInterval(); iv > 0 {
		s.nextPing = s.clock.Now()
	}
	if s.opts.Health.enabled() {
		s.nextHealth = s.clock.Now().Add(s.opts.Health.Every)
	}
	s.log.Info("pool starting", "workers", s.target, "ready", s.opts.Ready.String())
	cancelled := ctx.Done()
	for {
		if s.parked && !s.park(cancelled) {
			cancelled = nil
			s.beginShutdown("context cancelled")
		}
		if s.freezing == nil {
			s.reconcile()
		}
		s.steerFollowers()
		s.report()
		s.publish()
		if s.shuttingDown && len(s.workers) == 0 {
			s.log.Info("pool stopped")
			return nil
		}
		s.armTimer()
		select {
		case <-cancelled:
			cancelled = nil
			s.beginShutdown("context cancelled")
		case ev := <-s.events:
			s.handle(ev)
		}
	}
}

// Kill sends SIGKILL to every worker now and shuts the pool down.
func (s *Supervisor) Kill() { s.post(killRequest{}) }

// Shutdown drains the pool like Run does when its context ends, and waits for
// Run to return. If ctx ends first, every remaining worker gets SIGKILL and
// Shutdown returns ctx.Err() once they are gone. Before Run it closes the
// supervisor: Done is closed, requests return ErrStopped and Run ErrClosed.
func (s *Supervisor) Shutdown(ctx context.Context) error {
	if s.closeUnstarted() {
		return nil
	}
	s.post(shutdownRequest{})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
	}
	s.post(killRequest{})
	<-s.done
	return ctx.Err()
}

// begin marks the supervisor as run, or says why it cannot run.
func (s *Supervisor) begin() error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.ran || s.closed {
		return ErrClosed
	}
	s.ran = true
	return nil
}

// closeUnstarted closes a supervisor that Run has not started, and reports
// whether it did: a Run that comes later starts nothing.
func (s *Supervisor) closeUnstarted() bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.ran {
		return false
	}
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	return true
}
