package channel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/clock/clocktest"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/logging/logtest"
	"github.com/poold/poold/internal/notify"
	"github.com/poold/poold/internal/testbound"
)

// worker is the test's side of a channel: what a worker process holds.
type worker struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// recorder is Events that keeps what it got.
type recorder struct {
	mu       sync.Mutex
	notified []notify.Datagram
	reported []Metrics
	got      chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 100)} }

func (r *recorder) Notified(_ uint64, d notify.Datagram) {
	r.mu.Lock()
	r.notified = append(r.notified, d)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) Reported(_ uint64, m Metrics) {
	r.mu.Lock()
	r.reported = append(r.reported, m)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.got:
	case <-time.After(testbound.Scale(10 * time.Second)):
		t.Fatal("no event from the hub")
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// attach gives the hub a new channel for peer p and returns the worker's end.
func attach(t *testing.T, h *Hub, p Peer, ev Events) *worker {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Attach(p, os.NewFile(uintptr(fds[0]), "poold-end"), ev); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[1]), "worker-end")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); h.Detach(p.ID) })
	return &worker{t: t, c: c, r: bufio.NewReaderSize(c, MaxLine+1)}
}

func (w *worker) send(line string) {
	w.t.Helper()
	if _, err := io.WriteString(w.c, line+"\n"); err != nil {
		w.t.Fatal(err)
	}
}

// next reads one line poold sent, as a map.
func (w *worker) next() map[string]any {
	w.t.Helper()
	if err := w.c.SetReadDeadline(time.Now().Add(testbound.Scale(10 * time.Second))); err != nil {
		w.t.Fatal(err)
	}
	line, err := w.r.ReadBytes('\n')
	if err != nil {
		w.t.Fatalf("read from poold: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		w.t.Fatalf("poold sent %q: %v", line, err)
	}
	return m
}

// hello says hello and takes the config poold answers with.
func (w *worker) hello() any {
	w.t.Helper()
	w.send(`{"op":"hello","version":1,"runtime":"test"}`)
	m := w.next()
	if m["op"] != "config" {
		w.t.Fatalf("after hello: got %v, want a config op", m)
	}
	return m["data"]
}

func TestHelloGetsCurrentConfigAndPushes(t *testing.T) {
	h := NewHub(quietLog())
	a := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, newRecorder())
	if cfg := a.hello(); cfg != nil {
		t.Fatalf("config before any was set: %v, want null", cfg)
	}
	if n := h.SetConfig(json.RawMessage(`{"featureFlag":true}`)); n != 1 {
		t.Fatalf("SetConfig reached %d workers, want 1", n)
	}
	if m := a.next(); m["op"] != "config" || m["data"].(map[string]any)["featureFlag"] != true {
		t.Fatalf("pushed config: got %v", m)
	}
	b := attach(t, h, Peer{ID: 2, Slot: 1, PID: 101}, newRecorder())
	if cfg := b.hello(); cfg.(map[string]any)["featureFlag"] != true {
		t.Fatalf("late worker's config: got %v", cfg)
	}
}

func TestNotifyAndMetricsReachEvents(t *testing.T) {
	h := NewHub(quietLog())
	rec := newRecorder()
	a := attach(t, h, Peer{ID: 7, Slot: 2, PID: 4242}, rec)
	a.send(`{"op":"notify","state":"READY=1\nSTATUS=warming up"}`)
	rec.wait(t)
	a.send(`{"op":"metrics","loopDelayP99Ms":1.5,"heapUsedBytes":2048,"requests":12,"rssBytes":-3,"activeRequests":"x","future":1}`)
	rec.wait(t)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	d := rec.notified[0]
	if !d.Message.Ready || d.Message.Status != "warming up" || d.PID != 4242 || d.Err != nil {
		t.Errorf("notify: got %+v", d)
	}
	want := Metrics{LoopDelayP99: 1500 * time.Microsecond, HeapUsedBytes: 2048, Requests: 12}
	if got := rec.reported[0]; got != want {
		t.Errorf("metrics: got %+v, want %+v (bad fields zero)", got, want)
	}
}

func TestWorkerBroadcastReachesOthersWhoSaidHello(t *testing.T) {
	h := NewHub(quietLog())
	a := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, newRecorder())
	b := attach(t, h, Peer{ID: 2, Slot: 1, PID: 101}, newRecorder())
	silent := attach(t, h, Peer{ID: 3, Slot: 2, PID: 102}, newRecorder())
	a.hello()
	b.hello()
	a.send(`{"op":"broadcast","data":{"type":"broadcast","data":{"action":"invalidate-cache","key":"users"}}}`)
	m := b.next()
	from := m["from"].(map[string]any)
	if m["op"] != "message" || from["kind"] != "worker" || from["slot"] != 0.0 || from["pid"] != 100.0 {
		t.Fatalf("b got %v", m)
	}
	if key := m["data"].(map[string]any)["data"].(map[string]any)["key"]; key != "users" {
		t.Fatalf("data not passed through: %v", m["data"])
	}
	// The sender and the worker without hello get nothing: a control
	// broadcast is the next line each reads.
	if n := h.Broadcast(json.RawMessage(`"second"`)); n != 2 {
		t.Fatalf("control broadcast reached %d workers, want 2", n)
	}
	if m := a.next(); m["data"] != "second" || m["from"].(map[string]any)["kind"] != "control" {
		t.Fatalf("sender's next line: %v, want the control broadcast", m)
	}
	silent.send(`{"op":"hello"}`)
	if m := silent.next(); m["op"] != "config" {
		t.Fatalf("worker without hello was sent %v before its hello", m)
	}
}

func TestBadLinesAreAnsweredAndSkipped(t *testing.T) {
	h := NewHub(quietLog())
	rec := newRecorder()
	a := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, rec)
	for _, tc := range []struct{ line, want string }{
		{`{"op":"metrics"` + strings.Repeat(" ", MaxLine) + `}`, "longer than"},
		{`not json`, "not a JSON object"},
		{`{"state":"READY=1"}`, `no "op"`},
		{`{"op":"broadcast","data":"` + strings.Repeat("x", MaxData) + `"}`, "at most"},
	} {
		a.send(tc.line)
		if m := a.next(); m["op"] != "error" || !strings.Contains(m["error"].(string), tc.want) {
			t.Errorf("after %.40q: got %v, want an error containing %q", tc.line, m, tc.want)
		}
	}
	a.send(`{"op":"notify","state":"READY=1"}`)
	rec.wait(t)
	if !rec.notified[0].Message.Ready {
		t.Fatal("a good line after bad ones was not handled")
	}
}

func TestBroadcastsAreRateLimited(t *testing.T) {
	h := NewHub(quietLog())
	a := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, newRecorder())
	a.hello()
	var burst bytes.Buffer
	for range 3 * broadcastBurst {
		burst.WriteString(`{"op":"broadcast","data":1}` + "\n")
	}
	if _, err := a.c.Write(burst.Bytes()); err != nil {
		t.Fatal(err)
	}
	if m := a.next(); m["op"] != "error" || !strings.Contains(m["error"].(string), "a second") {
		t.Fatalf("got %v, want a rate-limit error", m)
	}
}

func TestAWorkerThatDoesNotReadLosesOnlyItsOwnMessages(t *testing.T) {
	h := NewHub(quietLog())
	reader := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, newRecorder())
	stuck := attach(t, h, Peer{ID: 2, Slot: 1, PID: 101}, newRecorder())
	reader.hello()
	stuck.hello()
	big, err := CheckData([]byte(`"` + strings.Repeat("y", 32<<10) + `"`))
	if err != nil {
		t.Fatal(err)
	}
	sent := 4 * queueLen
	got := make(chan int)
	go func() {
		n := 0
		for range sent {
			if reader.next()["op"] == "message" {
				n++
			}
		}
		got <- n
	}()
	for i := range sent {
		h.Broadcast(big)
		// Keep the reader's queue from overflowing: wait for it to drain
		// before the next batch. The stuck worker is never waited for.
		if i%(queueLen/2) == 0 {
			waitQueueBelow(t, h, 1, queueLen/2)
		}
	}
	if n := <-got; n != sent {
		t.Errorf("reading worker got %d of %d messages", n, sent)
	}
	st, _ := h.Stats(2)
	if !st.Open || st.Dropped == 0 {
		t.Errorf("stuck worker: %+v, want drops counted", st)
	}
	if st, _ := h.Stats(1); st.Dropped != 0 {
		t.Errorf("reading worker dropped %d", st.Dropped)
	}
}

// waitQueueBelow polls until worker id's queue holds fewer than n lines.
func waitQueueBelow(t *testing.T, h *Hub, id uint64, n int) {
	t.Helper()
	deadline := time.Now().Add(testbound.Scale(10 * time.Second))
	for {
		h.mu.Lock()
		l := len(h.conns[id].out)
		h.mu.Unlock()
		if l < n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue of worker %d still holds %d lines", id, l)
		}
		time.Sleep(time.Millisecond) // polling, not synchronisation
	}
}

func TestDetachClosesTheWorkersEnd(t *testing.T) {
	h := NewHub(quietLog())
	a := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, newRecorder())
	h.Detach(1)
	if err := a.c.SetReadDeadline(time.Now().Add(testbound.Scale(10 * time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := a.r.ReadByte(); err != io.EOF {
		t.Fatalf("read after Detach: %v, want EOF", err)
	}
	if _, ok := h.Stats(1); ok {
		t.Fatal("Stats after Detach still reports the channel")
	}
}

func TestCheckData(t *testing.T) {
	if d, err := CheckData([]byte(" { \"a\" : [1, 2] } ")); err != nil || string(d) != `{"a":[1,2]}` {
		t.Errorf("got %s, %v", d, err)
	}
	for _, bad := range []string{"", "  ", "{", "1 2", `"` + strings.Repeat("z", MaxData) + `"`} {
		if _, err := CheckData([]byte(bad)); err == nil {
			t.Errorf("CheckData(%.20q) accepted it", bad)
		}
	}
}

func TestRefusalsAreWarnedAboutInBrief(t *testing.T) {
	var logs logtest.Buffer
	h := NewHub(slog.New(slog.NewTextHandler(&logs, nil)))
	clk := clocktest.NewFake()
	h.warnings = logging.NewLimiter(logging.WarnBurst, logging.WarnEvery, clk)
	rec := newRecorder()
	a := attach(t, h, Peer{ID: 1, Slot: 0, PID: 100}, rec)
	var lines bytes.Buffer
	for range 100 {
		lines.WriteString("not json\n")
	}
	lines.WriteString(`{"op":"notify","state":"READY=1"}` + "\n")
	if _, err := a.c.Write(lines.Bytes()); err != nil {
		t.Fatal(err)
	}
	rec.wait(t) // the notify line, read after every bad one
	if n := logs.Count("worker channel: line dropped"); n != logging.WarnBurst {
		t.Fatalf("%d warnings for 100 bad lines, want %d", n, logging.WarnBurst)
	}
	clk.Advance(logging.WarnEvery)
	if n := logs.Count(fmt.Sprintf("line dropped: %d more suppressed", 100-logging.WarnBurst)); n != 1 {
		t.Fatalf("%d summaries, want 1", n)
	}
}
