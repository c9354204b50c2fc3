package supervisor

import (
	"time"

	"github.com/poold/poold/internal/channel"
)

// Frozen is the pool's state as Freeze returns it and Restore takes it:
// plain values, so that an upgrade in place hands it over as JSON.
type Frozen struct {
	Target, MinReady int
	LastID           WorkerID
	// Generation is the pool's, LastGeneration the last a reload took;
	// Generations the spec of every live one.
	Generation, LastGeneration int
	Generations                map[int]Generation
	ToldReady                  bool
	ReloadFailed               string
	Counters                   Counters
	Slots                      []FrozenSlot
	Workers                    []FrozenWorker
}

// FrozenSlot is what outlives the workers of one slot: its backoff.
type FrozenSlot struct {
	Failures   int
	NotBefore  time.Time
	Restarts   int
	CrashLoop  bool
	ReadyOnce  bool
	LastExit   string
	LastOutput []string
}

// FrozenWorker is the loop's record of one worker.
type FrozenWorker struct {
	ID                    WorkerID
	Slot, Generation, PID int
	State                 State
	Started, ReadySince   time.Time
	Deadline, HardCap     time.Time
	Status                string
	LastHeartbeat         time.Time
	Metrics               channel.Metrics
	MetricsAt             time.Time
	Fate                  int
	StopReason            string
	Leaving, Hung, Silent bool
	KillAfter             time.Duration
	MemoryHigh, LoopHigh  time.Time
}

// frozen is the pool's state now.
func (s *Supervisor) frozen() Frozen {
	f := Frozen{Target: s.target, MinReady: s.minReady, LastID: s.lastID, Generation: s.generation,
		LastGeneration: s.lastGeneration, Generations: s.generations, ToldReady: s.toldReady,
		ReloadFailed: s.reloadFailed, Counters: s.counters.clone()}
	for _, st := range s.slots {
		f.Slots = append(f.Slots, FrozenSlot{Failures: st.failures, NotBefore: st.notBefore, Restarts: st.restarts,
			CrashLoop: st.crashLoop, ReadyOnce: st.readyOnce, LastExit: st.lastExit, LastOutput: st.lastOutput})
	}
	for _, w := range s.workers {
		f.Workers = append(f.Workers, FrozenWorker{ID: w.id, Slot: w.slot, Generation: w.generation, PID: w.proc.PID(),
			State: w.state, Started: w.started, ReadySince: w.readySince, Deadline: w.deadline, HardCap: w.hardCap,
			Status: w.status, LastHeartbeat: w.lastHeartbeat, Metrics: w.metrics, MetricsAt: w.metricsAt,
			Fate: int(w.fate), StopReason: w.stopReason, Leaving: w.leaving, Hung: w.hung, Silent: w.warnedSilent,
			KillAfter: w.killAfter, MemoryHigh: w.memoryHighSince, LoopHigh: w.loopHighSince})
	}
	return f
}

// Adopter takes over a worker of a Frozen pool: it returns its process,
// watched as if it had been spawned, whose events go to sink. probe asks
// for the listening probe, for a worker not yet ready.
type Adopter func(w FrozenWorker, probe bool, sink Sink) (Process, error)

// Restore makes the supervisor, before Run, go on from f, the state of a
// pool a poold before an upgrade froze: its counts, generations, slots
// with their backoffs, counters, and its workers, each taken over by
// adopt. A worker adopt fails is dropped, logged: its slot gets a new one
// as after a crash.
func (s *Supervisor) Restore(f Frozen, adopt Adopter) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.ran || s.closed {
		return ErrClosed
	}
	s.target, s.minReady, s.lastID = f.Target, f.MinReady, f.LastID
	s.generation, s.lastGeneration = f.Generation, f.LastGeneration
	if len(f.Generations) > 0 {
		s.generations = f.Generations
	}
	if _, ok := s.generations[s.generation]; !ok { // a state without specs: this poold's own
		s.generations[s.generation] = Generation{Spec: s.opts.Spec}
	}
	s.toldReady, s.reloadFailed, s.counters = f.ToldReady, f.ReloadFailed, f.Counters.clone()
	s.slots = s.slots[:0]
	for _, st := range f.Slots {
		s.slots = append(s.slots, slotState{failures: st.Failures, notBefore: st.NotBefore, restarts: st.Restarts,
			crashLoop: st.CrashLoop, readyOnce: st.ReadyOnce, lastExit: st.LastExit, lastOutput: st.LastOutput})
	}
	for _, fw := range f.Workers {
		probe := fw.State == Starting && s.opts.Ready.AcceptsListening()
		proc, err := adopt(fw, probe, loopSink{s})
		if err != nil {
			s.log.Error("worker not adopted after the upgrade: its slot gets a new one", "slot", fw.Slot, "pid", fw.PID, "err", err)
			continue
		}
		w := &worker{id: fw.ID, slot: fw.Slot, generation: fw.Generation, proc: proc, state: fw.State,
			started: fw.Started, readySince: fw.ReadySince, deadline: fw.Deadline, hardCap: fw.HardCap,
			status: fw.Status, lastHeartbeat: fw.LastHeartbeat, metrics: fw.Metrics, metricsAt: fw.MetricsAt,
			limits: s.opts.Health.jittered(fw.ID), fate: fate(fw.Fate), stopReason: fw.StopReason, leaving: fw.Leaving,
			hung: fw.Hung, warnedSilent: fw.Silent, killAfter: fw.KillAfter,
			memoryHighSince: fw.MemoryHigh, loopHighSince: fw.LoopHigh}
		w.log = s.log.With(s.attrs(w)...)
		s.workers[w.id] = w
	}
	s.forgetGenerations()
	return nil
}
