package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/coreos/go-systemd/v22/daemon"
)

// workerArg, the only argument, makes this binary a worker: poold starts
// it so. (An environment variable would not do: poold keeps POOLD_* ones
// from its workers.)
const workerArg = "soak-worker"

// secondTermLine is what a worker prints when a second SIGTERM reaches it
// while it drains: the soak counts these lines as double deliveries.
const secondTermLine = "soak-worker: second SIGTERM"

// runWorker serves the pool's first socket, answering with its PID, says
// READY=1, sends WATCHDOG=1 at half of WATCHDOG_USEC, and drains on SIGTERM.
// A second SIGTERM during the drain exits at once, the idiom of many Go
// servers, and says so on stderr.
func runWorker() int {
	listeners, err := activation.Listeners()
	if err != nil || len(listeners) == 0 || listeners[0] == nil {
		fmt.Fprintln(os.Stderr, "soak-worker: no socket from poold:", err)
		return 1
	}
	pid := strconv.Itoa(os.Getpid())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, pid)
	})}
	terms := make(chan os.Signal, 4)
	signal.Notify(terms, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listeners[0]) }()
	if _, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		fmt.Fprintln(os.Stderr, "soak-worker: notify:", err)
	}
	stopBeats := heartbeat()
	defer stopBeats()
	select {
	case err := <-served:
		fmt.Fprintln(os.Stderr, "soak-worker: serve:", err)
		return 1
	case <-terms:
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	select {
	case <-drained:
		return 0
	case <-terms:
		fmt.Fprintln(os.Stderr, secondTermLine)
		return 3
	}
}

// heartbeat sends WATCHDOG=1 while poold asks for it; the returned func stops it.
func heartbeat() (stop func()) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil || every == 0 {
		return func() {}
	}
	t := time.NewTicker(every / 2)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				_, _ = daemon.SdNotify(false, daemon.SdNotifyWatchdog)
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}
