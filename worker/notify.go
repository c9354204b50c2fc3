package worker

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// notifyTimeout bounds a notification's wait for room on the socket.
const notifyTimeout = time.Second

// Notify sends state, sd_notify(3) assignments separated by newlines (such
// as "READY=1\nSTATUS=warming the cache"), to NOTIFY_SOCKET: poold's for a
// worker, systemd's for a service. Without NOTIFY_SOCKET it does nothing and
// returns false and no error, so that a program runs the same without them.
func Notify(state string) (bool, error) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return false, nil
	}
	// A leading @ names an abstract socket; package net maps it.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// A receiver that does not read must not stop the sender for long:
	// Serve waits for its heartbeats to end before it returns.
	conn.SetWriteDeadline(time.Now().Add(notifyTimeout))
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// watchdogPeriod is half of WATCHDOG_USEC, the period sd_watchdog_enabled(3)
// advises, when the watchdog is this process's (WATCHDOG_PID unset or its
// PID); 0 without one.
func watchdogPeriod(getenv func(string) string, pid int) time.Duration {
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return 0
	}
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// heartbeat sends WATCHDOG=1 every period until ctx ends, and returns once
// it has stopped. A period of 0 sends nothing.
func heartbeat(ctx context.Context, period time.Duration) {
	if period <= 0 {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			Notify("WATCHDOG=1")
		}
	}
}
