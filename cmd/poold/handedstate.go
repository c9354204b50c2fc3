package main

import (
	"time"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/handoff"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/supervisor"
)

// handedState is what a poold hands the binary it execs for an upgrade in
// place (internal/handoff carries it): every fd it names stays open
// across the exec.
type handedState struct {
	From, To string    // the versions: the handing poold's, the one it expects
	Started  time.Time // when the upgrade started
	Exec     time.Time // when the handing poold exec'd the new binary
	Stop     bool      // a stop (SIGTERM) came during the handover: drain at once
	// Config is the configuration the pool runs, the start's or the last
	// reload's: an upgrade changes the binary, not the configuration.
	Config  config.Config
	Sockets []handedSocket
	// Slots are the distribution slots' own sockets, named
	// activation.SlotStoreName, for the group to take back.
	Slots     []handedSocket
	EverReady []bool        // the distribution's slots that have had a ready worker
	Metrics   *handedSocket `json:",omitempty"` // the --metrics-listen socket
	RunDir    rundir.Handed
	// BusDaemon is the pidfd of the private bus's dbus-daemon, which the
	// exec kills (its Pdeathsig): the new poold reaps it. 0 for none.
	BusDaemon int `json:",omitempty"`
	Pool      supervisor.Frozen
	Workers   []proc.Handed
}

// handedSocket is one listening socket.
type handedSocket struct {
	Name        string
	FD, Backlog int
}

func handSockets(socks []activation.Socket) ([]handedSocket, error) {
	out := make([]handedSocket, 0, len(socks))
	for _, s := range socks {
		fd, err := handoff.FD(s.File)
		if err != nil {
			return nil, err
		}
		out = append(out, handedSocket{Name: s.Name, FD: fd, Backlog: s.Backlog})
	}
	return out, nil
}

func adoptSockets(handed []handedSocket) ([]activation.Socket, error) {
	out := make([]activation.Socket, 0, len(handed))
	for _, h := range handed {
		s, err := activation.Adopt(h.FD, h.Name, h.Backlog)
		if err != nil {
			activation.CloseAll(out)
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// fds are every fd the state names.
func (s handedState) fds() []int {
	var fds []int
	for _, h := range append(s.Sockets, s.Slots...) {
		fds = append(fds, h.FD)
	}
	if s.Metrics != nil {
		fds = append(fds, s.Metrics.FD)
	}
	fds = append(fds, s.RunDir.FDs()...)
	if s.BusDaemon > 0 {
		fds = append(fds, s.BusDaemon)
	}
	for _, w := range s.Workers {
		fds = append(fds, w.FDs()...)
	}
	return fds
}

// remap is the state with each fd it names replaced by to(fd).
func (s handedState) remap(to func(int) int) handedState {
	s.Sockets, s.Slots = remapSockets(s.Sockets, to), remapSockets(s.Slots, to)
	if s.Metrics != nil {
		m := *s.Metrics
		m.FD = to(m.FD)
		s.Metrics = &m
	}
	s.RunDir.Lock = to(s.RunDir.Lock)
	if s.RunDir.NameLock >= 0 {
		s.RunDir.NameLock = to(s.RunDir.NameLock)
	}
	if s.BusDaemon > 0 {
		s.BusDaemon = to(s.BusDaemon)
	}
	workers := make([]proc.Handed, len(s.Workers))
	for i, w := range s.Workers {
		workers[i] = w.Remap(to)
	}
	s.Workers = workers
	return s
}

func remapSockets(socks []handedSocket, to func(int) int) []handedSocket {
	out := make([]handedSocket, len(socks))
	for i, h := range socks {
		h.FD = to(h.FD)
		out[i] = h
	}
	return out
}
