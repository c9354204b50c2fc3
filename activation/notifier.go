package activation

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends sd_notify(3) messages to systemd: readiness, status,
// reloads, stops and watchdog pings. Not under systemd (no NOTIFY_SOCKET),
// every method does nothing and returns nil; a nil *Notifier behaves the
// same. Its methods are safe for concurrent use.
type Notifier struct {
	socket   string        // NOTIFY_SOCKET as captured: "/path" or "@abstract"; "" when disabled
	watchdog time.Duration // WATCHDOG_USEC for us; 0 when none
}

// NewNotifier captures NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, then
// unsets them from the process environment so that no child inherits them;
// the Notifier keeps sending to the captured socket. The error is for a
// malformed variable (WATCHDOG_USEC, WATCHDOG_PID, or a NOTIFY_SOCKET that
// is neither an absolute path nor an @abstract name); the environment is
// cleared all the same.
func NewNotifier() (*Notifier, error) {
	socket := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	// go-systemd's own check: (0, nil) when unset or meant for another pid.
	watchdog, err := daemon.SdWatchdogEnabled(true)
	if err != nil {
		return nil, fmt.Errorf("systemd watchdog: %w", err)
	}
	if socket != "" && (len(socket) < 2 || socket[0] != '/' && socket[0] != '@') {
		return nil, fmt.Errorf("NOTIFY_SOCKET=%q: want an absolute path or @name", socket)
	}
	if socket == "" {
		watchdog = 0 // pings could not be sent anyway
	}
	return &Notifier{socket: socket, watchdog: watchdog}, nil
}

// Enabled reports whether poold runs under systemd's notify protocol.
func (n *Notifier) Enabled() bool {
	return n != nil && n.socket != ""
}

// Ready tells systemd the pool is ready: "READY=1", plus "STATUS=status"
// unless status is empty.
func (n *Notifier) Ready(status string) error {
	return n.send(daemon.SdNotifyReady + "\n" + statusLine(status))
}

// Status sets the unit's status text; "" clears it.
func (n *Notifier) Status(status string) error {
	return n.send("STATUS=" + oneLine(status))
}

// Stopping tells systemd poold is shutting down: "STOPPING=1", plus
// "STATUS=status" unless status is empty.
func (n *Notifier) Stopping(status string) error {
	return n.send(daemon.SdNotifyStopping + "\n" + statusLine(status))
}

// Reloading tells systemd a reload started: "RELOADING=1" with the
// "MONOTONIC_USEC=" Type=notify-reload wants, plus "STATUS=status" unless
// status is empty. Ready ends the reload.
func (n *Notifier) Reloading(status string) error {
	return n.send(daemon.SdNotifyReloading + "\n" + daemon.SdNotifyMonotonicUsec() + statusLine(status))
}

// Watchdog pings systemd's watchdog: "WATCHDOG=1".
func (n *Notifier) Watchdog() error {
	return n.send(daemon.SdNotifyWatchdog)
}

// WatchdogInterval is how often to call Watchdog: half of WATCHDOG_USEC,
// when WATCHDOG_PID is unset or ours. 0 when no watchdog is configured for
// poold or notifications are disabled.
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog / 2
}

// send writes one datagram to the captured socket, as daemon.SdNotify does
// to the one in the environment.
func (n *Notifier) send(state string) error {
	if !n.Enabled() {
		return nil
	}
	state = strings.TrimSuffix(state, "\n")
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	return nil
}

// statusLine is the STATUS= assignment for status, or "" for none.
func statusLine(status string) string {
	if status == "" {
		return ""
	}
	return "STATUS=" + oneLine(status)
}

// oneLine keeps a status from injecting more assignments.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
