package proc

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/poold/poold/internal/notify"
	"github.com/poold/poold/internal/supervisor"
)

// workerNotify is one worker's notify socket. When its file is lost (the
// runtime directory removed under poold), rebind binds a new socket at the
// same path; the old ones stay open until the worker exits, so that nothing
// queued on them is lost. Only datagrams the worker sent count (sentBy);
// the others are dropped and counted, and the first is logged.
type workerNotify struct {
	id      supervisor.WorkerID
	slot    int
	path    string
	sink    supervisor.Sink
	log     *slog.Logger
	refused *atomic.Uint64 // the pool's count

	readers sync.WaitGroup // one per socket being read

	mu      sync.Mutex
	socks   []*notify.Socket // the last one is bound at path
	proc    *process         // set once the worker runs: then each socket has a reader
	refusal int              // datagrams refused from other senders
	closed  bool
}

// rebind binds the socket again if its file is gone.
func (w *workerNotify) rebind() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || len(w.socks) > 0 && w.socks[len(w.socks)-1].Bound() {
		return nil
	}
	ns, err := notify.Listen(w.path)
	if err != nil {
		return fmt.Errorf("worker %d: %w", w.slot, err)
	}
	w.socks = append(w.socks, ns)
	if w.proc != nil {
		w.read(ns)
	}
	return nil
}

// start reads the worker's datagrams now that it runs as p.
func (w *workerNotify) start(p *process) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.proc = p
	for _, ns := range w.socks {
		w.read(ns)
	}
}

// read starts the reader of ns; w.mu is held.
func (w *workerNotify) read(ns *notify.Socket) {
	ns.Accept(w.accept)
	w.readers.Add(1)
	go func() {
		defer w.readers.Done()
		for {
			d, err := ns.Receive()
			if err != nil {
				return // closed when the worker is reaped, paused by freeze
			}
			if !d.Refused {
				d.Raw = nil // unused by the loop: a flood must not queue 4 KiB a datagram
				w.sink.Post(supervisor.Notified{ID: w.id, Datagram: d})
			}
		}
	}()
}

// accept lets the worker's datagrams through, and counts the others
// before their fds are closed: a sender that waits for that (BARRIER=1)
// sees the count.
func (w *workerNotify) accept(pid, uid int) bool {
	if w.proc.sentBy(pid, uid) {
		return true
	}
	w.refused.Add(1)
	w.mu.Lock()
	w.refusal++
	first := w.refusal == 1
	w.mu.Unlock()
	if first { // once per worker: a flood of them must not flood the log
		w.log.Warn("notify datagram refused: its sender is not the worker or a process it started as poold's user; "+
			"this worker's further refusals are only counted (poold_notify_refused_total)",
			"slot", w.slot, "pid", w.proc.pid, "sender_pid", pid, "sender_uid", uid)
	}
	return false
}

// close closes every socket of the worker, which ends their readers.
func (w *workerNotify) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, ns := range w.socks {
		ns.Close()
	}
}

// freeze stops the readers without closing a socket and returns the fd
// of the one bound at path, for the next poold; the others, which a
// rebind left behind, are closed: nothing sends to them any more.
func (w *workerNotify) freeze() (int, error) {
	w.mu.Lock()
	for _, ns := range w.socks {
		_ = ns.Pause() // fails only on a closed socket, whose reader ended
	}
	w.mu.Unlock()
	w.readers.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.socks) == 0 { // adopted without one
		return -1, nil
	}
	last := w.socks[len(w.socks)-1]
	for _, ns := range w.socks[:len(w.socks)-1] {
		ns.Close()
	}
	w.socks = w.socks[len(w.socks)-1:]
	return last.FD()
}

// notifySockets are the sockets of the workers that run or are starting.
type notifySockets struct {
	refused atomic.Uint64

	mu   sync.Mutex
	live map[supervisor.WorkerID]*workerNotify
}

// listen binds the notify socket of a worker about to start.
func (n *notifySockets) listen(req supervisor.SpawnRequest, path string, sink supervisor.Sink, log *slog.Logger) (*workerNotify, error) {
	ns, err := notify.Listen(path)
	if err != nil {
		return nil, err
	}
	w := &workerNotify{id: req.ID, slot: req.Slot, path: path, sink: sink, log: log, refused: &n.refused, socks: []*notify.Socket{ns}}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.live == nil {
		n.live = map[supervisor.WorkerID]*workerNotify{}
	}
	n.live[req.ID] = w
	return w, nil
}

// adopt takes over the notify socket of a worker handed over by an
// upgrade, bound at path; its reader starts with start.
func (n *notifySockets) adopt(id supervisor.WorkerID, slot, fd int, path string, sink supervisor.Sink, log *slog.Logger) (*workerNotify, error) {
	ns, err := notify.Adopt(fd, path)
	if err != nil {
		return nil, err
	}
	w := &workerNotify{id: id, slot: slot, path: path, sink: sink, log: log, refused: &n.refused, socks: []*notify.Socket{ns}}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.live == nil {
		n.live = map[supervisor.WorkerID]*workerNotify{}
	}
	n.live[id] = w
	return w, nil
}

// close closes a worker's sockets, once it exited or failed to start.
func (n *notifySockets) close(w *workerNotify) {
	n.mu.Lock()
	delete(n.live, w.id)
	n.mu.Unlock()
	w.close()
}

// rebind binds again every socket whose file is gone.
func (n *notifySockets) rebind() error {
	n.mu.Lock()
	live := slices.Collect(maps.Values(n.live))
	n.mu.Unlock()
	var errs []error
	for _, w := range live {
		errs = append(errs, w.rebind())
	}
	return errors.Join(errs...)
}
