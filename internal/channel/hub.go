package channel

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/poold/poold/internal/clock"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/notify"
)

// Events receives what workers report on their channels, from the
// channels' goroutines.
type Events interface {
	Notified(id uint64, d notify.Datagram)
	Reported(id uint64, m Metrics)
}

// Stats is one worker's channel as status shows it.
type Stats struct {
	Open    bool   // the worker said hello
	Dropped uint64 // lines to it dropped because it did not read them
}

// Hub holds every running worker's channel and routes between them.
type Hub struct {
	log *slog.Logger
	// warnings limits the warnings about what one worker keeps sending
	// wrong.
	warnings *logging.Limiter
	mu       sync.Mutex
	conns    map[uint64]*conn
	config   json.RawMessage // "null" until set
}

// NewHub returns a hub with no worker configuration (null).
func NewHub(log *slog.Logger) *Hub {
	return &Hub{
		log:      log,
		warnings: logging.NewLimiter(logging.WarnBurst, logging.WarnEvery, clock.System{}),
		conns:    make(map[uint64]*conn),
		config:   json.RawMessage("null"),
	}
}

// Attach takes poold's end of a worker's channel and serves it until
// Detach. f is closed here; the caller keeps no copy.
func (h *Hub) Attach(p Peer, f *os.File, ev Events) error {
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("channel of worker %d: %w", p.ID, err)
	}
	cn := newConn(p, c, h.log)
	h.mu.Lock()
	if old := h.conns[p.ID]; old != nil {
		old.shutdown()
	}
	h.conns[p.ID] = cn
	h.mu.Unlock()
	go h.read(cn, ev)
	return nil
}

// Detach closes a worker's channel; the worker has exited.
func (h *Hub) Detach(id uint64) {
	h.mu.Lock()
	cn := h.conns[id]
	delete(h.conns, id)
	h.mu.Unlock()
	if cn != nil {
		cn.shutdown()
	}
}

// Stats reports on a worker's channel; false when it has none.
func (h *Hub) Stats(id uint64) (Stats, bool) {
	h.mu.Lock()
	cn := h.conns[id]
	h.mu.Unlock()
	if cn == nil {
		return Stats{}, false
	}
	return Stats{Open: cn.hello.Load(), Dropped: cn.dropped.Load()}, true
}

// Broadcast delivers data, checked by CheckData, to every worker that said
// hello, and returns how many it was queued for.
func (h *Hub) Broadcast(data json.RawMessage) int {
	return h.deliver(messageLine(FromControl, data), 0)
}

// SetConfig makes data, checked by CheckData, the worker configuration,
// pushes it to every worker that said hello, and returns how many it was
// queued for. Workers that say hello later get it then.
func (h *Hub) SetConfig(data json.RawMessage) int {
	h.mu.Lock()
	h.config = data
	h.mu.Unlock()
	return h.deliver(configLine(data), 0)
}

// deliver queues line for every worker that said hello except the worker
// with ID except (0 is no worker's ID).
func (h *Hub) deliver(line []byte, except uint64) int {
	h.mu.Lock()
	targets := make([]*conn, 0, len(h.conns))
	for id, cn := range h.conns {
		if id != except && cn.hello.Load() {
			targets = append(targets, cn)
		}
	}
	h.mu.Unlock()
	n := 0
	for _, cn := range targets {
		if cn.send(line) {
			n++
		}
	}
	return n
}

// read handles a worker's lines until its channel closes.
func (h *Hub) read(cn *conn, ev Events) {
	defer close(cn.read)
	r := cn.reader()
	limit := newBucket(time.Now())
	for {
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			h.refuse(cn, lineDropped, err.Error())
			continue
		}
		if err != nil && cn.frozen.Load() {
			cn.pending = line
			return
		}
		if err != nil {
			cn.shutdown()
			return // closed: the worker exited, closed it, or Detach did
		}
		in, err := decode(line)
		if err != nil {
			h.refuse(cn, lineDropped, err.Error())
			continue
		}
		h.handle(cn, in, ev, limit)
	}
}

func (h *Hub) handle(cn *conn, in incoming, ev Events, limit *bucket) {
	switch in.Op {
	case "hello":
		if !cn.hello.Swap(true) {
			cn.log.Debug("worker channel open", "runtime", in.Runtime, "version", in.Version)
		}
		h.mu.Lock()
		cfg := h.config
		h.mu.Unlock()
		cn.send(configLine(cfg))
	case "notify":
		m, err := notify.Parse([]byte(in.State))
		ev.Notified(cn.peer.ID, notify.Datagram{Message: m, Err: err, PID: cn.peer.PID, UID: -1, GID: -1})
	case "metrics":
		ev.Reported(cn.peer.ID, in.metrics())
	case "broadcast":
		h.broadcastFrom(cn, in.Data, limit)
	}
}

func (h *Hub) broadcastFrom(cn *conn, data json.RawMessage, limit *bucket) {
	data, err := CheckData(orNull(data))
	switch {
	case err != nil:
		h.refuse(cn, broadcastDropped, "data "+err.Error())
	case !limit.take(time.Now()):
		h.refuse(cn, broadcastDropped, fmt.Sprintf("more than %d a second", broadcastRate))
	default:
		h.deliver(messageLine(fromWorker(cn.peer), data), cn.peer.ID)
	}
}

// refusal is a kind of line poold drops; with the worker's ID, the key of
// its warnings.
type refusal string

const (
	lineDropped      refusal = "line dropped"
	broadcastDropped refusal = "broadcast dropped"
)

type refusalKey struct {
	worker uint64
	kind   refusal
}

// refuse tells a worker what poold dropped and why, and logs it, a few
// times an interval per worker and kind: a worker sending bad lines in a
// loop must not flood poold's log.
func (h *Hub) refuse(cn *conn, kind refusal, why string) {
	h.warnings.Warn(cn.log, refusalKey{cn.peer.ID, kind}, "worker channel: "+string(kind), "why", why)
	cn.send(errorLine(string(kind) + ": " + why))
}

func orNull(data json.RawMessage) json.RawMessage {
	if strings.TrimSpace(string(data)) == "" {
		return json.RawMessage("null")
	}
	return data
}
