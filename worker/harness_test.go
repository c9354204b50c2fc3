package worker

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testServer is run serving on a TCP listener of its own, with the stop
// channel in the test's hands instead of signals.
type testServer struct {
	t      *testing.T
	srv    *http.Server
	ln     *net.TCPListener
	addr   string
	stop   chan os.Signal
	closed chan struct{} // the listener was closed
	states *stateLog

	done    chan struct{}
	result  error
	started chan struct{} // a /block request began
	release chan struct{} // closed: /block answers
}

func serveForTest(t *testing.T, s settings) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{
		t: t, ln: ln.(*net.TCPListener), addr: ln.Addr().String(), stop: make(chan os.Signal, 2), closed: make(chan struct{}), states: newStateLog(),
		done: make(chan struct{}), started: make(chan struct{}, 10), release: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		ts.started <- struct{}{}
		select {
		case <-ts.release:
		case <-r.Context().Done():
		}
		w.Write([]byte("released"))
	})
	ts.srv = &http.Server{Handler: mux, ConnState: ts.states.record}
	l := &watchedListener{Listener: ln, closed: ts.closed}
	go func() {
		defer close(ts.done)
		ts.result = run(context.Background(), ts.srv, []net.Listener{l}, ts.stop, s)
	}()
	t.Cleanup(func() {
		for range 2 { // a second signal closes what is left
			select {
			case ts.stop <- syscall.SIGTERM:
			default:
			}
		}
		ts.wait()
	})
	return ts
}

// sigterm starts the drain and waits until the listener is closed.
func (ts *testServer) sigterm() {
	ts.t.Helper()
	ts.stop <- syscall.SIGTERM
	select {
	case <-ts.closed:
	case <-time.After(bound):
		ts.t.Fatalf("the listener was not closed within %v of SIGTERM", bound)
	}
}

// wait waits for run to return, and returns its error.
func (ts *testServer) wait() error {
	ts.t.Helper()
	select {
	case <-ts.done:
		return ts.result
	case <-time.After(bound):
		ts.t.Fatalf("run did not return within %v", bound)
		return nil
	}
}

// returned reports whether run has returned.
func (ts *testServer) returned() bool {
	select {
	case <-ts.done:
		return true
	default:
		return false
	}
}

// waitStarted waits until a /block request is in the handler.
func (ts *testServer) waitStarted() {
	ts.t.Helper()
	select {
	case <-ts.started:
	case <-time.After(bound):
		ts.t.Fatalf("no /block request began within %v", bound)
	}
}

// waitState waits until the server has reported state s for the client's
// connection.
func (ts *testServer) waitState(c *client, s http.ConnState) {
	ts.t.Helper()
	if !ts.states.wait(c.conn.LocalAddr().String(), s, bound) {
		ts.t.Fatalf("the server did not report the connection %v within %v", s, bound)
	}
}

// watchedListener closes closed when it is closed.
type watchedListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func (l *watchedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}

// stateLog keeps the states the server reported, by client address.
type stateLog struct {
	mu      sync.Mutex
	seen    map[string][]http.ConnState
	changed chan struct{} // closed at the next record
}

func newStateLog() *stateLog {
	return &stateLog{seen: map[string][]http.ConnState{}, changed: make(chan struct{})}
}

func (l *stateLog) record(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	addr := c.RemoteAddr().String()
	l.seen[addr] = append(l.seen[addr], s)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *stateLog) wait(addr string, s http.ConnState, within time.Duration) bool {
	deadline := time.After(within)
	for {
		l.mu.Lock()
		changed := l.changed
		for _, got := range l.seen[addr] {
			if got == s {
				l.mu.Unlock()
				return true
			}
		}
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}
