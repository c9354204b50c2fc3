package supervisor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/plural"
)

// Status is a snapshot of the pool.
type Status struct {
	Name       string
	State      PoolState
	Target     int
	MaxWorkers int // the highest target Scale accepts
	// MaxUnavailable is the MaxUnavailable option as it applies to the
	// current target: at most Target-1.
	MaxUnavailable int
	ReadyMode      ReadyMode
	Ready          int
	Starting       int
	Stopping       int
	Generation     int
	// Generations are the live generations, oldest first, with what
	// changed in each.
	Generations []GenerationStatus
	Summary     string // the line sent to systemd as STATUS=
	Workers     []WorkerStatus
	// Slots are the slots without a ready worker whose last worker failed.
	Slots    []SlotStatus
	Counters Counters
	// ReloadPending: a reload waits for the current recycle to finish.
	ReloadPending bool
}

// WorkerStatus is a snapshot of one worker.
type WorkerStatus struct {
	ID            WorkerID
	Slot          int
	PID           int
	Generation    int
	State         State
	Started       time.Time
	ReadySince    time.Time
	LastHeartbeat time.Time
	Restarts      int    // replacements in this slot so far
	StatusText    string // the worker's own STATUS=
	Metrics       channel.Metrics
	MetricsAt     time.Time // when Metrics were reported; zero for never
}

type statusRequest struct{ reply chan Status }

// Status returns a snapshot of the pool from the loop.
func (s *Supervisor) Status(ctx context.Context) (Status, error) {
	req := statusRequest{reply: make(chan Status, 1)}
	return ask(ctx, s, req, req.reply)
}

func (s *Supervisor) snapshot() Status {
	st := s.counts()
	st.Counters = s.counters.clone()
	st.ReloadPending = s.pendingReload != nil
	st.Slots = s.failingSlots()
	st.Generations = s.generationStatuses()
	for _, w := range s.workers {
		st.Workers = append(st.Workers, s.workerStatus(w))
	}
	sort.Slice(st.Workers, func(i, j int) bool {
		a, b := st.Workers[i], st.Workers[j]
		return a.Slot < b.Slot || a.Slot == b.Slot && a.ID < b.ID
	})
	return st
}

func (s *Supervisor) workerStatus(w *worker) WorkerStatus {
	return WorkerStatus{
		ID: w.id, Slot: w.slot, PID: w.proc.PID(), Generation: w.generation, State: w.state,
		Started: w.started, ReadySince: w.readySince, LastHeartbeat: w.lastHeartbeat,
		Restarts: s.slotState(w.slot).restarts, StatusText: w.status,
		Metrics: w.metrics, MetricsAt: w.metricsAt,
	}
}

// counts is the snapshot without the per-worker list.
func (s *Supervisor) counts() Status {
	st := Status{Name: s.opts.Name, Target: s.target, MaxWorkers: s.opts.MaxWorkers,
		MaxUnavailable: s.maxUnavailable(), ReadyMode: s.opts.Ready, Generation: s.generation}
	for _, w := range s.workers {
		switch w.state {
		case Ready:
			st.Ready++
		case Starting:
			st.Starting++
		case Stopping:
			st.Stopping++
		}
	}
	st.State = s.poolState(st.Ready)
	st.Summary = s.summary(st)
	return st
}

func (s *Supervisor) readyCount() int {
	n := 0
	for _, w := range s.workers {
		if w.state == Ready {
			n++
		}
	}
	return n
}

// summary is the one-line pool state for systemd's STATUS= and logs.
func (s *Supervisor) summary(st Status) string {
	if s.shuttingDown {
		return fmt.Sprintf("stopping: %s draining", plural.Of(len(s.workers), "worker"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d workers ready", st.Ready, st.Target)
	if st.Starting > 0 {
		fmt.Fprintf(&b, ", %d starting", st.Starting)
	}
	if st.Stopping > 0 {
		fmt.Fprintf(&b, ", %d stopping", st.Stopping)
	}
	if s.reloadFailed != "" {
		fmt.Fprintf(&b, "; %s", s.reloadFailed)
	}
	if r := s.rollout; r != nil && r.kind == reloadRollout {
		fmt.Fprintf(&b, "; reloading to generation %d (%d replaced)", r.generation, r.replaced)
	} else if r != nil && r.kind == rollbackRollout {
		fmt.Fprintf(&b, "; rolling back to generation %d (%d replaced)", r.generation, r.replaced)
	} else if r != nil {
		fmt.Fprintf(&b, "; restarting slot %d", r.slot)
	}
	for slot := 0; slot < s.target && slot < len(s.slots); slot++ {
		if ss := s.slots[slot]; ss.crashLoop {
			fmt.Fprintf(&b, "; slot %d crash-looping (%s, %s)", slot, ss.lastExit, plural.Of(ss.failures, "failure"))
		}
	}
	return b.String()
}

// report keeps systemd's view current: READY=1 once MinReady workers are
// ready at the start (a reload's end sends its own, see tellReloaded),
// STATUS= whenever the summary changes.
func (s *Supervisor) report() {
	st := s.counts()
	if st.Summary == s.lastSummary {
		return
	}
	s.lastSummary = st.Summary
	var err error
	if !s.toldReady && !s.shuttingDown && st.Ready >= s.minReady {
		s.toldReady = true
		s.log.Info("pool ready", "ready", st.Ready, "target", st.Target)
		err = s.notifier.Ready(st.Summary)
	} else {
		err = s.notifier.Status(st.Summary)
	}
	if err != nil {
		s.log.Warn("notify systemd", "err", err)
	}
}
