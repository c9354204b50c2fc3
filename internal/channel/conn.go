package channel

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
)

// queueLen is how many lines may wait for a worker that does not read.
const queueLen = 256

// Peer is the worker at the other end of a channel.
type Peer struct {
	ID   uint64 // the supervisor's worker ID
	Slot int
	PID  int
}

// conn is poold's end of one worker's channel.
type conn struct {
	peer  Peer
	c     net.Conn
	in    io.Reader // c, after what a poold before an upgrade had read of a line
	out   chan []byte
	done  chan struct{}
	close sync.Once
	// frozen is set by an upgrade: the reader and the writer end without
	// closing c, which the next poold takes over with pending, the start
	// of a line that the reader had read.
	frozen  atomic.Bool
	pending []byte
	halt    chan struct{} // closed by Freeze: the writer ends
	read    chan struct{} // closed when the reader ended
	wrote   chan struct{} // closed when the writer ended
	hello   atomic.Bool
	dropped atomic.Uint64
	log     *slog.Logger // with the worker's slot and pid
}

func newConn(p Peer, c net.Conn, log *slog.Logger) *conn {
	log = log.With("slot", p.Slot, "pid", p.PID)
	cn := &conn{peer: p, c: c, in: c, out: make(chan []byte, queueLen), done: make(chan struct{}), log: log,
		halt: make(chan struct{}), read: make(chan struct{}), wrote: make(chan struct{})}
	go cn.write()
	return cn
}

// send queues line without waiting; a full queue drops it.
func (c *conn) send(line []byte) bool {
	select {
	case <-c.done:
		return false
	case c.out <- line:
		return true
	default:
		if c.dropped.Add(1) == 1 {
			c.log.Warn("worker does not read its channel: dropping messages to it")
		}
		return false
	}
}

// write sends queued lines until the channel closes. A write blocked on a
// worker that does not read ends when shutdown closes the socket.
func (c *conn) write() {
	defer close(c.wrote)
	for {
		select {
		case <-c.done:
			return
		case <-c.halt:
			return
		case line := <-c.out:
			if _, err := c.c.Write(line); err != nil {
				if c.frozen.Load() {
					return // what it did not write is lost
				}
				c.shutdown()
				return
			}
		}
	}
}

func (c *conn) shutdown() {
	c.close.Do(func() {
		close(c.done)
		c.c.Close()
	})
}

func (c *conn) reader() *bufio.Reader { return bufio.NewReaderSize(c.in, 4096) }
