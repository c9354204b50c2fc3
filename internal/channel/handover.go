package channel

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/poold/poold/internal/handoff"
)

// Handed is one worker's channel as an upgrade in place hands it over.
type Handed struct {
	FD      int    // poold's end, open across the exec
	Hello   bool   // the worker said hello
	Pending []byte // the start of a line read but not ended yet
}

// Freeze stops the reader and writer of every channel without closing
// one, and returns them by worker ID for the next poold (Adopt). Lines
// queued for a worker and not yet written are lost. The hub is unusable
// after it.
func (h *Hub) Freeze() (map[uint64]Handed, error) {
	h.mu.Lock()
	conns := make(map[uint64]*conn, len(h.conns))
	for id, cn := range h.conns {
		conns[id] = cn
	}
	h.mu.Unlock()
	past := time.Unix(1, 0)
	for _, cn := range conns {
		cn.frozen.Store(true)
		close(cn.halt)
		_ = cn.c.SetDeadline(past) // a closed conn's reader has ended anyway
	}
	out := make(map[uint64]Handed, len(conns))
	for id, cn := range conns {
		<-cn.read
		<-cn.wrote
		select {
		case <-cn.done:
			continue // the worker closed it: nothing to hand over
		default:
		}
		sc, ok := cn.c.(syscall.Conn)
		if !ok {
			return nil, fmt.Errorf("channel of worker %d: a %T has no fd", id, cn.c)
		}
		fd, err := handoff.FD(sc)
		if err != nil {
			return nil, fmt.Errorf("channel of worker %d: %w", id, err)
		}
		out[id] = Handed{FD: fd, Hello: cn.hello.Load(), Pending: cn.pending}
	}
	return out, nil
}

// Adopt serves a worker's channel handed over by the poold before an
// upgrade (Freeze) until Detach; it owns h.FD from then on.
func (h *Hub) Adopt(p Peer, handed Handed, ev Events) error {
	f := os.NewFile(uintptr(handed.FD), "channel")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("channel of worker %d: %w", p.ID, err)
	}
	cn := newConn(p, c, h.log)
	cn.hello.Store(handed.Hello)
	_ = c.SetDeadline(time.Time{}) // the old poold's, which the fd keeps
	if len(handed.Pending) > 0 {
		cn.in = io.MultiReader(bytes.NewReader(handed.Pending), c)
	}
	h.mu.Lock()
	h.conns[p.ID] = cn
	h.mu.Unlock()
	go h.read(cn, ev)
	return nil
}
