package worker

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// long is a grace or a give-up time that a test never reaches.
func long() time.Duration { return 2 * bound }

// A connection accepted just before the drain, whose request only comes
// once the listener is closed, is answered, with Connection: close
// (http.Server.Shutdown closes it unanswered: golang/go#75591).
func TestDrainAnswersARequestOnAConnectionAcceptedBefore(t *testing.T) {
	ts := serveForTest(t, settings{grace: long(), giveUp: long()})
	c := dial(t, ts.addr)
	ts.waitState(c, http.StateNew)
	ts.sigterm()

	resp, body := c.get("/")
	if resp.StatusCode != http.StatusOK || body != "ok" || !resp.Close {
		t.Errorf("GET / after the drain began: %s %q, Connection: close %v; want 200 \"ok\" with Connection: close", resp.Status, body, resp.Close)
	}
	c.waitClosed()
	if err := ts.wait(); err != nil {
		t.Errorf("run: %v; want nil once the connection has ended", err)
	}
}

// The next request on an idle kept-alive connection, sent after the drain
// began, is answered with Connection: close instead of finding the
// connection closed (http.Server.Shutdown and SetKeepAlivesEnabled(false)
// close idle connections at once).
func TestDrainAnswersTheNextRequestOnAnIdleConnection(t *testing.T) {
	ts := serveForTest(t, settings{grace: long(), giveUp: long()})
	c := dial(t, ts.addr)
	if resp, _ := c.get("/"); resp.Close {
		t.Fatal("the first answer closed the connection; want it kept alive")
	}
	ts.waitState(c, http.StateIdle)
	ts.sigterm()

	resp, body := c.get("/")
	if resp.StatusCode != http.StatusOK || body != "ok" || !resp.Close {
		t.Errorf("GET / on the idle connection after the drain began: %s %q, Connection: close %v; want 200 \"ok\" with Connection: close", resp.Status, body, resp.Close)
	}
	c.waitClosed()
	if err := ts.wait(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// An idle connection is closed once it has been idle for the grace, and
// not before; then run returns nil.
func TestDrainClosesAnIdleConnectionAfterTheGrace(t *testing.T) {
	const grace = 200 * time.Millisecond
	ts := serveForTest(t, settings{grace: grace, giveUp: long()})
	c := dial(t, ts.addr)
	c.get("/")
	answered := time.Now()
	ts.sigterm()

	c.waitClosed()
	if idle := time.Since(answered); idle < grace {
		t.Errorf("the idle connection was closed %v after its answer; want %v at least", idle, grace)
	}
	if err := ts.wait(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// A request in flight when the drain begins is answered; run returns only
// once its connection has ended.
func TestDrainFinishesARequestInFlight(t *testing.T) {
	ts := serveForTest(t, settings{grace: 50 * time.Millisecond, giveUp: long()})
	c := dial(t, ts.addr)
	answered := make(chan string, 1)
	go func() {
		resp, body := c.get("/block")
		answered <- resp.Status + " " + body
	}()
	ts.waitStarted()
	ts.sigterm()
	if ts.returned() {
		t.Fatal("run returned with a request in flight")
	}
	close(ts.release)
	select {
	case got := <-answered:
		if got != "200 OK released" {
			t.Errorf("the request in flight got %q, want 200 OK released", got)
		}
	case <-time.After(bound):
		t.Fatalf("the request in flight was not answered within %v", bound)
	}
	if err := ts.wait(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// Connections not accepted yet stay on the socket for the other processes
// that share it: the drain closes the worker's own copy only.
func TestDrainLeavesTheSocketToOthers(t *testing.T) {
	ts := serveForTest(t, settings{grace: long(), giveUp: long()})
	other := shareListener(t, ts.ln)
	ts.sigterm()
	if err := ts.wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	dial(t, ts.addr)
	other.(*net.TCPListener).SetDeadline(time.Now().Add(bound))
	conn, err := other.Accept()
	if err != nil {
		t.Fatalf("the other copy of the socket accepted nothing: %v", err)
	}
	conn.Close()
}

// At the give-up time run closes what is left and says so.
func TestDrainGivesUpInTime(t *testing.T) {
	const giveUp = 300 * time.Millisecond
	ts := serveForTest(t, settings{grace: long(), giveUp: giveUp})
	c := dial(t, ts.addr)
	go c.conn.Write([]byte("GET /block HTTP/1.1\r\nHost: worker-test\r\n\r\n"))
	ts.waitStarted()
	began := time.Now()
	ts.sigterm()

	err := ts.wait()
	if err == nil || !strings.Contains(err.Error(), "1 connections still open") {
		t.Errorf("run: %v; want an error that counts 1 connection", err)
	}
	if took := time.Since(began); took < giveUp {
		t.Errorf("run gave up %v after SIGTERM, want %v at least", took, giveUp)
	}
	c.waitClosed()
}

// A second signal ends the drain at once.
func TestDrainEndsAtASecondSignal(t *testing.T) {
	ts := serveForTest(t, settings{grace: long(), giveUp: long()})
	c := dial(t, ts.addr)
	go c.conn.Write([]byte("GET /block HTTP/1.1\r\nHost: worker-test\r\n\r\n"))
	ts.waitStarted()
	ts.sigterm()
	ts.stop <- syscall.SIGINT
	if err := ts.wait(); err == nil {
		t.Error("run returned nil after a second signal with a request in flight; want an error")
	}
	c.waitClosed()
}

// The application's own Shutdown ends run with http.ErrServerClosed, as
// it ends http.Server.Serve.
func TestRunEndsWithTheApplicationsShutdown(t *testing.T) {
	ts := serveForTest(t, settings{grace: long(), giveUp: long()})
	c := dial(t, ts.addr)
	c.get("/")
	if err := ts.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ts.wait(); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("run: %v, want http.ErrServerClosed", err)
	}
}

// shareListener returns another listener on ln's socket: a copy of its fd,
// as poold's workers share a socket.
func shareListener(t *testing.T, ln *net.TCPListener) net.Listener {
	t.Helper()
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	other, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}
