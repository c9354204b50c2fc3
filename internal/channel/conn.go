package channel

import (
	"bufio"
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
	peer    Peer
	c       net.Conn
	out     chan []byte
	done    chan struct{}
	close   sync.Once
	hello   atomic.Bool
	dropped atomic.Uint64
	log     *slog.Logger // with the worker's slot and pid
}

func newConn(p Peer, c net.Conn, log *slog.Logger) *conn {
	log = log.With("slot", p.Slot, "pid", p.PID)
	cn := &conn{peer: p, c: c, out: make(chan []byte, queueLen), done: make(chan struct{}), log: log}
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
	for {
		select {
		case <-c.done:
			return
		case line := <-c.out:
			if _, err := c.c.Write(line); err != nil {
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

func (c *conn) reader() *bufio.Reader { return bufio.NewReaderSize(c.c, 4096) }
