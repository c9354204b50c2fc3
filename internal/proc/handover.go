package proc

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/workerlog"
)

// Handed is a running worker as an upgrade in place hands it over: what
// the next poold needs to adopt it (Adopt), fds open across the exec.
type Handed struct {
	ID         uint64
	Slot       int
	Generation int
	PID        int
	PidFD      int
	Notify     string // its NOTIFY_SOCKET
	NotifyFD   int
	Channel    *channel.Handed `json:",omitempty"`
	// Stdout and Stderr are the read ends of its output pipes; -1 without
	// them (--worker-logs inherit) or once that stream ended.
	Stdout, Stderr int
	// Cgroup: it runs in a cgroup of its own (Cgroups.Adopt opens it).
	Cgroup bool `json:",omitempty"`
}

// FDs are the fds that must survive the exec.
func (h Handed) FDs() []int {
	fds := []int{h.PidFD}
	if h.Channel != nil {
		fds = append(fds, h.Channel.FD)
	}
	for _, fd := range []int{h.NotifyFD, h.Stdout, h.Stderr} {
		if fd >= 0 {
			fds = append(fds, fd)
		}
	}
	return fds
}

// Remap is h with each fd it names (those FDs lists) replaced by to(fd).
func (h Handed) Remap(to func(int) int) Handed {
	h.PidFD = to(h.PidFD)
	if h.Channel != nil {
		c := *h.Channel
		c.FD = to(c.FD)
		h.Channel = &c
	}
	for _, fd := range []*int{&h.NotifyFD, &h.Stdout, &h.Stderr} {
		if *fd >= 0 {
			*fd = to(*fd)
		}
	}
	return h
}

// Freeze stops, for an upgrade in place, everything the spawner runs
// for its workers: the waits for their exits (a worker that exited is
// reaped and reported first), the readers of their notify sockets,
// channels and output, without closing an fd. It returns the workers
// still running. The spawner must not start or adopt a worker after it:
// the supervisor's loop is frozen first.
func (s *Spawner) Freeze() ([]Handed, error) {
	workers := s.running.stop()
	var channels map[uint64]channel.Handed
	if s.channels != nil {
		var err error
		if channels, err = s.channels.Freeze(); err != nil {
			return nil, err
		}
	}
	out := make([]Handed, 0, len(workers))
	for _, w := range workers {
		nfd, err := w.ns.freeze()
		if err != nil {
			return nil, fmt.Errorf("worker %d: notify socket: %w", w.p.slot, err)
		}
		h := Handed{ID: uint64(w.id), Slot: w.p.slot, Generation: w.generation, PID: w.p.pid, PidFD: w.p.pidfd,
			Notify: w.ns.path, NotifyFD: nfd, Cgroup: w.p.cgroup != nil}
		if ch, ok := channels[uint64(w.id)]; ok {
			h.Channel = &ch
		}
		h.Stdout, h.Stderr = w.pipes.Freeze()
		out = append(out, h)
	}
	return out, nil
}

// Adopt takes over a worker handed over by the poold before an upgrade
// (Freeze): it reads what the worker sends and waits for its exit as for
// a worker it started, and owns the fds of h. probe asks for the
// listening probe, for a worker not yet ready.
func (s *Spawner) Adopt(h Handed, probe bool, sink supervisor.Sink) (supervisor.Process, error) {
	id := supervisor.WorkerID(h.ID)
	_, inodes, err := s.socketsFor(h.Slot)
	if err != nil {
		s.abandon(h)
		return nil, fmt.Errorf("adopt worker %d: %w", h.Slot, err)
	}
	// The pidfd tells whether it still is the worker: a PID alone could
	// have been reused, not a pidfd.
	if err := unix.PidfdSendSignal(h.PidFD, 0, nil, 0); err != nil && !errors.Is(err, unix.EPERM) {
		// Exited: it is a zombie for this poold to reap, which the wait does.
		if !errors.Is(err, unix.ESRCH) {
			return nil, fmt.Errorf("adopt worker %d (pid %d): %w", h.Slot, h.PID, err)
		}
	}
	p := &process{pid: h.PID, pidfd: h.PidFD, slot: h.Slot, inodes: inodes, exited: make(chan struct{})}
	if h.Cgroup && s.cgroups != nil {
		if p.cgroup, err = s.cgroups.Adopt(h.Slot, h.ID); err != nil {
			// Its processes are still in the cgroup; only the kill of
			// its whole tree and the OOM attribution are lost.
			s.log.Warn("adopted worker without its cgroup", "slot", h.Slot, "pid", h.PID, "err", err)
		}
	}
	s.reaper.adopt(h.PID)
	s.live.add(h.ID)
	ns, err := s.notify.adopt(id, h.Slot, h.NotifyFD, h.Notify, sink, s.log)
	if err != nil {
		s.log.Warn("adopted worker has no notify socket: its READY=1 and heartbeats are lost", "slot", h.Slot, "pid", h.PID, "err", err)
		ns = &workerNotify{id: id, slot: h.Slot, path: h.Notify, sink: sink, log: s.log, refused: &s.notify.refused}
	}
	pipes := s.output.Adopt(h.Stdout, h.Stderr, workerlog.Worker{Pool: s.pool, Slot: h.Slot, Generation: h.Generation, ID: h.ID, PID: h.PID})
	if h.Channel != nil && s.channels != nil {
		peer := channel.Peer{ID: h.ID, Slot: h.Slot, PID: h.PID}
		if err := s.channels.Adopt(peer, *h.Channel, sinkEvents{sink}); err != nil {
			s.log.Warn("adopted worker runs without its stream channel", "slot", h.Slot, "pid", h.PID, "err", err)
		}
	}
	s.watch(&runningWorker{id: id, generation: h.Generation, p: p, ns: ns, pipes: pipes}, probe, sink)
	return p, nil
}

// abandon kills a worker that cannot be adopted, with its process group,
// and reaps it: it must not serve on unsupervised.
func (s *Spawner) abandon(h Handed) {
	_ = unix.PidfdSendSignal(h.PidFD, unix.SIGKILL, nil, 0)
	_ = unix.Kill(-h.PID, unix.SIGKILL) // ESRCH once the group is gone
	for _, fd := range h.FDs()[1:] {
		unix.Close(fd)
	}
	p := &process{pid: h.PID, pidfd: h.PidFD, exited: make(chan struct{})}
	go func() {
		p.waitExit(-1)
		p.reap()
	}()
}
