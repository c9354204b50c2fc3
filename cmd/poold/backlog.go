package main

import (
	"log/slog"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/supervisor"
)

// backlogKeeper gives a worker's sockets their backlog back once it is
// ready. A worker that calls listen(2) on a pool socket it inherited sets
// that socket's backlog for every worker: Node does, with 511, whatever
// the app asks for. Ready comes after the listen (a worker waiting on the
// socket is what --ready listening sees), so the socket keeps poold's
// backlog from then on; a worker that listens only after READY=1 keeps
// its own until the next worker is ready.
type backlogKeeper struct {
	sockets func(slot int) ([]activation.Socket, error) // a slot's sockets
	ready   map[supervisor.WorkerID]bool                // workers seen ready
	log     *slog.Logger
}

func newBacklogKeeper(sockets func(slot int) ([]activation.Socket, error), log *slog.Logger) *backlogKeeper {
	return &backlogKeeper{sockets: sockets, ready: map[supervisor.WorkerID]bool{}, log: log}
}

// update restores the backlog of the sockets of each worker that became
// ready since the last status.
func (k *backlogKeeper) update(st supervisor.Status) {
	ready := make(map[supervisor.WorkerID]bool, len(st.Workers))
	for _, w := range st.Workers {
		if w.State != supervisor.Ready {
			continue
		}
		ready[w.ID] = true
		if !k.ready[w.ID] {
			k.restore(w)
		}
	}
	k.ready = ready
}

func (k *backlogKeeper) restore(w supervisor.WorkerStatus) {
	socks, err := k.sockets(w.Slot)
	if err != nil {
		return // closed: poold is stopping
	}
	for _, s := range socks {
		before, after, err := activation.RestoreBacklog(s)
		if err != nil {
			k.log.Warn("pool socket keeps the backlog a worker set", "slot", w.Slot, "pid", w.PID, "err", err)
			continue
		}
		k.log.Debug("pool socket's backlog set again, the worker ready", // "was" shows what its listen(2) made it
			"socket", s.Name, "slot", w.Slot, "pid", w.PID, "backlog", after, "was", before)
	}
}
