package worker

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// IdleGrace is how long a connection without a request in flight stays open
// once draining: a client that sends its next request within it is
// answered (with Connection: close) instead of finding the connection
// closed under it. A connection accepted but not read from yet counts as
// idle since its accept. The same as poold's Node.js preload.
const IdleGrace = time.Second

// tracker follows the connections of a server through its ConnState hook,
// and drains them: once draining, it marks every answer Connection: close
// and closes each connection that has been idle for grace.
type tracker struct {
	grace    time.Duration
	draining atomic.Bool // read on every request; written under mu

	mu      sync.Mutex
	conns   map[net.Conn]*tracked
	settled bool          // no connection is accepted any more
	gone    chan struct{} // closed once settled and no connection is left
	closed  bool          // gone is closed
}

// tracked is one open connection, not hijacked.
type tracked struct {
	active bool      // a request is being read or answered
	since  time.Time // when it became idle, or was accepted
	timer  *time.Timer
}

func newTracker(grace time.Duration) *tracker {
	return &tracker{grace: grace, conns: map[net.Conn]*tracked{}, gone: make(chan struct{})}
}

// wrap makes srv report its connections to t and mark its answers once
// draining; srv's own ConnState still runs, and its Handler (or
// http.DefaultServeMux) answers.
func (t *tracker) wrap(srv *http.Server) {
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t.draining.Load() {
			w.Header().Set("Connection", "close") // net/http closes it once answered
		}
		h.ServeHTTP(w, r)
	})
	own := srv.ConnState
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		t.observe(c, s)
		if own != nil {
			own(c, s)
		}
	}
}

func (t *tracker) observe(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s {
	case http.StateNew, http.StateIdle:
		tc := t.conns[c]
		if tc == nil {
			tc = &tracked{}
			t.conns[c] = tc
		}
		tc.active, tc.since = false, time.Now()
		if t.draining.Load() {
			t.closeWhenIdle(c, tc)
		}
	case http.StateActive:
		if tc := t.conns[c]; tc != nil {
			tc.active = true
			stopTimer(tc)
		}
	case http.StateClosed, http.StateHijacked:
		if tc := t.conns[c]; tc != nil {
			stopTimer(tc)
			delete(t.conns, c)
		}
		t.signalGone()
	}
}

// drain begins draining: from now on answers say Connection: close, and
// idle connections close once idle for grace.
func (t *tracker) drain() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.draining.Store(true)
	for c, tc := range t.conns {
		if !tc.active {
			t.closeWhenIdle(c, tc)
		}
	}
}

// accepted is called once the server accepts no more connections (every
// Serve has returned): it returns a channel closed once all have ended.
// Before, no count of connections can be final: one may be accepted yet.
func (t *tracker) accepted() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.settled = true
	t.signalGone()
	return t.gone
}

// open counts the connections still open.
func (t *tracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// closeWhenIdle closes c once it has been idle for grace, unless a request
// comes first. Called with mu held.
func (t *tracker) closeWhenIdle(c net.Conn, tc *tracked) {
	stopTimer(tc)
	tc.timer = time.AfterFunc(time.Until(tc.since.Add(t.grace)), func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		// A timer that fired as a request came, or for an earlier idle
		// spell, finds the connection active or idle for less than grace.
		if t.conns[c] == tc && !tc.active && time.Since(tc.since) >= t.grace {
			c.Close() // the server sees it closed and reports StateClosed
		}
	})
}

// signalGone closes gone once settled with no connection left. Called with
// mu held.
func (t *tracker) signalGone() {
	if t.settled && len(t.conns) == 0 && !t.closed {
		t.closed = true
		close(t.gone)
	}
}

func stopTimer(tc *tracked) {
	if tc.timer != nil {
		tc.timer.Stop()
		tc.timer = nil
	}
}
