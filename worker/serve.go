package worker

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Serve serves srv on the sockets poold passed to the process, or without
// them on srv.Addr, until SIGTERM or SIGINT, then drains as the package
// documentation says, and returns nil once every connection has ended. It
// sends READY=1 once listening and WATCHDOG=1 at half of WATCHDOG_USEC,
// STOPPING=1 when the drain begins. It replaces srv.Handler and
// srv.ConnState with wrappers that call them.
//
// Serve speaks HTTP/1.x: HTTP/2 connections (TLS with h2, or
// srv.Protocols with unencrypted HTTP/2) are not drained this way.
func Serve(srv *http.Server) error {
	return ServeContext(context.Background(), srv)
}

// ServeContext is Serve that also drains when ctx ends.
func ServeContext(ctx context.Context, srv *http.Server) error {
	ls, err := listenersFor(srv)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return ServeListeners(ctx, srv, ls...)
}

// ServeListeners is ServeContext on the given listeners, such as some of
// those Listeners returns, chosen by name. It closes them.
func ServeListeners(ctx context.Context, srv *http.Server, ls ...net.Listener) error {
	if len(ls) == 0 {
		return errors.New("worker: no listener to serve on")
	}
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)
	return run(ctx, srv, ls, stop, settingsFrom(os.Getenv, os.Getpid()))
}

// settings are Serve's times, from the environment.
type settings struct {
	grace     time.Duration // IdleGrace
	giveUp    time.Duration // after the drain began, when it closes what is left
	heartbeat time.Duration // 0: none
}

func settingsFrom(getenv func(string) string, pid int) settings {
	return settings{grace: IdleGrace, giveUp: giveUpAfter(getenv), heartbeat: watchdogPeriod(getenv, pid)}
}

// giveUpAfter is 1 s before poold's SIGKILL, POOLD_STOP_TIMEOUT_MS after
// SIGTERM, or 90% of it when that is under 10 s; 9 s without it.
func giveUpAfter(getenv func(string) string) time.Duration {
	stop := 10 * time.Second
	if ms, err := strconv.ParseInt(getenv("POOLD_STOP_TIMEOUT_MS"), 10, 64); err == nil && ms > 0 {
		stop = time.Duration(ms) * time.Millisecond
	}
	return stop - min(time.Second, stop/10)
}

// run serves srv on ls until ctx ends or stop receives, then drains.
func run(ctx context.Context, srv *http.Server, ls []net.Listener, stop <-chan os.Signal, s settings) error {
	t := newTracker(s.grace)
	t.wrap(srv)
	served := make(chan error, len(ls))
	for _, l := range ls {
		go func() { served <- srv.Serve(l) }()
	}
	beat, endBeat := context.WithCancel(context.Background())
	beating := make(chan struct{})
	go func() { defer close(beating); heartbeat(beat, s.heartbeat) }()
	defer func() { endBeat(); <-beating }()

	notify(srv, readyMessage(s.heartbeat)+fmt.Sprintf("STATUS=serving on %d sockets", len(ls)))
	select {
	case <-ctx.Done():
	case <-stop:
	case err := <-served: // the application's Shutdown or Close, or a failed accept
		closeAll(ls)
		for range len(ls) - 1 {
			<-served
		}
		return err
	}
	return drain(srv, t, ls, served, stop, s.giveUp)
}

// drain stops accepting, waits until every connection srv accepted has
// ended, and only then lets srv.Shutdown run its hooks, with nothing left
// for it to close. A second signal, or giveUp, closes what is left.
func drain(srv *http.Server, t *tracker, ls []net.Listener, served <-chan error, stop <-chan os.Signal, giveUp time.Duration) error {
	began := time.Now()
	deadline := time.NewTimer(giveUp)
	defer deadline.Stop()
	notify(srv, "STOPPING=1\nSTATUS=draining")
	t.drain() // before the listeners close: what they still accept is drained too
	closeAll(ls)
	for range ls {
		<-served // Serve has returned: it accepts no more connections
	}
	select {
	case <-t.accepted():
		return srv.Shutdown(context.Background())
	case <-deadline.C:
	case <-stop:
	}
	n := t.open()
	srv.Close()
	return fmt.Errorf("worker: %d connections still open %v after the drain began: closed them", n, time.Since(began).Round(time.Millisecond))
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close() // this process's copy: the socket stays for the others
	}
}

// notify sends state, and logs a failure where srv logs its own errors.
func notify(srv *http.Server, state string) {
	if _, err := Notify(state); err != nil {
		logger := srv.ErrorLog
		if logger == nil {
			logger = log.Default()
		}
		logger.Printf("worker: notify %q: %v", state, err)
	}
}

// readyMessage is READY=1, with a first WATCHDOG=1 when heartbeats are
// due: poold arms a worker's watchdog from its first heartbeat, so a worker
// that hangs before the first tick is still caught.
func readyMessage(heartbeat time.Duration) string {
	if heartbeat > 0 {
		return "READY=1\nWATCHDOG=1\n"
	}
	return "READY=1\n"
}
