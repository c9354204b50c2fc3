package activation

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/testbound"
)

// listenNotify plays systemd's side: a datagram socket at addr that
// NOTIFY_SOCKET names.
func listenNotify(t *testing.T, addr string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", addr)
	return conn
}

// receive reads one datagram; the sender wrote it before returning, so the
// deadline only turns a missing one into a failure instead of a hang.
func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(testbound.Scale(10 * time.Second)))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read notification: %v", err)
	}
	return string(buf[:n])
}

func monotonicUsec(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Nano() / 1000
}

func testNotifier(t *testing.T, addr string) {
	conn := listenNotify(t, addr)
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range notifyEnv {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%s still set", k, v)
		}
	}
	if !n.Enabled() {
		t.Fatal("Enabled() = false under NOTIFY_SOCKET")
	}
	tests := []struct {
		send func() error
		want string
	}{
		{func() error { return n.Ready("serving 4 workers") }, "READY=1\nSTATUS=serving 4 workers"},
		{func() error { return n.Ready("") }, "READY=1"},
		{func() error { return n.Status("3/4 ready") }, "STATUS=3/4 ready"},
		{func() error { return n.Status("two\nlines") }, "STATUS=two lines"},
		{func() error { return n.Status("") }, "STATUS="},
		{func() error { return n.Stopping("draining") }, "STOPPING=1\nSTATUS=draining"},
		{func() error { return n.Stopping("") }, "STOPPING=1"},
		{func() error { return n.Watchdog() }, "WATCHDOG=1"},
	}
	for _, tt := range tests {
		if err := tt.send(); err != nil {
			t.Fatalf("send %q: %v", tt.want, err)
		}
		if got := receive(t, conn); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	checkReloading(t, n, conn)
}

func checkReloading(t *testing.T, n *Notifier, conn *net.UnixConn) {
	before := monotonicUsec(t)
	if err := n.Reloading("new generation"); err != nil {
		t.Fatal(err)
	}
	after := monotonicUsec(t)
	got := receive(t, conn)
	var usec int64
	_, err := fmt.Sscanf(got, "RELOADING=1\nMONOTONIC_USEC=%d\nSTATUS=new generation", &usec)
	if err != nil || !strings.HasSuffix(got, "\nSTATUS=new generation") || usec < before || usec > after {
		t.Errorf("got %q (%v); want RELOADING=1, MONOTONIC_USEC in [%d, %d], STATUS", got, err, before, after)
	}
}

func TestNotifier(t *testing.T) {
	testNotifier(t, filepath.Join(t.TempDir(), "notify"))
}

func TestNotifierAbstract(t *testing.T) {
	testNotifier(t, fmt.Sprintf("@poold-notify-test-%d", os.Getpid()))
}

func TestNotifierDisabled(t *testing.T) {
	setOrUnset(t, "NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "2000000")
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	var nilNotifier *Notifier
	for _, n := range []*Notifier{n, nilNotifier} {
		if n.Enabled() || n.WatchdogInterval() != 0 {
			t.Errorf("Enabled() = %v, WatchdogInterval() = %v; want false, 0", n.Enabled(), n.WatchdogInterval())
		}
		for _, err := range []error{n.Ready("r"), n.Status("s"), n.Stopping("s"), n.Reloading("r"), n.Watchdog()} {
			if err != nil {
				t.Errorf("got %v, want nil", err)
			}
		}
	}
}

func TestNotifierSendError(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(""); err == nil || !strings.HasPrefix(err.Error(), "notify systemd: ") {
		t.Errorf("Ready to a missing socket = %v, want a notify systemd error", err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name    string
		usec    string
		pid     string
		want    time.Duration
		wantErr string
	}{
		{name: "unset", want: 0},
		{name: "for anyone", usec: "2000000", want: time.Second},
		{name: "for us", usec: "2000000", pid: self, want: time.Second},
		{name: "for another pid", usec: "2000000", pid: strconv.Itoa(os.Getppid()), want: 0},
		{name: "garbled", usec: "2s", wantErr: "WATCHDOG_USEC"},
		{name: "zero", usec: "0", wantErr: "WATCHDOG_USEC"},
		{name: "garbled pid", usec: "2000000", pid: "me", wantErr: "WATCHDOG_PID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listenNotify(t, filepath.Join(t.TempDir(), "notify"))
			setOrUnset(t, "WATCHDOG_USEC", tt.usec)
			setOrUnset(t, "WATCHDOG_PID", tt.pid)
			n, err := NewNotifier()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("NewNotifier() = %v, want error containing %q", err, tt.wantErr)
				}
			} else if err != nil || n.WatchdogInterval() != tt.want {
				t.Errorf("NewNotifier() = %v; WatchdogInterval() = %v, want %v", err, n.WatchdogInterval(), tt.want)
			}
			for _, k := range notifyEnv {
				if v, ok := os.LookupEnv(k); ok {
					t.Errorf("%s=%s still set", k, v)
				}
			}
		})
	}
}

func TestNewNotifierMalformedSocket(t *testing.T) {
	for _, give := range []string{"relative/notify", "@", "vsock:2:1"} {
		t.Setenv("NOTIFY_SOCKET", give)
		if _, err := NewNotifier(); err == nil || !strings.Contains(err.Error(), "NOTIFY_SOCKET") {
			t.Errorf("NOTIFY_SOCKET=%q: NewNotifier() = %v, want an error", give, err)
		}
	}
}

// setOrUnset sets key to v, or unsets it for "", restoring it after the test.
func setOrUnset(t *testing.T, key, v string) {
	t.Setenv(key, v)
	if v == "" {
		os.Unsetenv(key)
	}
}
