package activation

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The notifier of a poold that execs its successor hands it the same
// socket and watchdog, and the successor says it is the main process.
func TestNotifierAcrossAnUpgrade(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "notify")
	conn := listenNotify(t, addr)
	self := strconv.Itoa(os.Getpid())
	t.Setenv("WATCHDOG_USEC", "4000000")
	t.Setenv("WATCHDOG_PID", self)
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	env := n.Environ(os.Getpid())
	want := []string{"NOTIFY_SOCKET=" + addr, "WATCHDOG_USEC=4000000", "WATCHDOG_PID=" + self}
	if !slices.Equal(env, want) {
		t.Fatalf("Environ = %q, want %q", env, want)
	}
	for _, kv := range env { // as the exec'd poold finds them
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	next, err := NewNotifier()
	if err != nil || next.socket != n.socket || next.WatchdogInterval() != n.WatchdogInterval() {
		t.Fatalf("the successor's notifier %+v, %v; want %+v", next, err, n)
	}
	for _, tt := range []struct {
		ready bool
		want  string
	}{
		{true, "MAINPID=" + self + "\nREADY=1\nSTATUS=upgraded"},
		{false, "MAINPID=" + self + "\nSTATUS=upgraded"},
	} {
		if err := next.MainPID(os.Getpid(), tt.ready, "upgraded"); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, conn); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	var disabled *Notifier
	if env := disabled.Environ(1); env != nil {
		t.Errorf("a disabled notifier's Environ = %q", env)
	}
}
