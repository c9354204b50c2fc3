package proc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/poold/poold/internal/notify"
	"github.com/poold/poold/internal/supervisor"
)

// statusOf waits for the next notification and returns its STATUS=; the
// worker exiting first fails the test.
func statusOf(t *testing.T, f *fixture) string {
	t.Helper()
	for {
		switch ev := next[any](t, f.sink).(type) {
		case supervisor.Exited:
			t.Fatalf("the worker exited (%v) before it notified", ev.Status)
		case supervisor.Notified:
			if ev.Datagram.Message.Ready {
				t.Errorf("READY=1 got through from pid %d", ev.Datagram.PID)
			}
			return ev.Datagram.Message.Status
		}
	}
}

// A notify datagram counts only from the worker or a process it started,
// running as poold's user or root: what another process sends on the
// worker's socket is dropped and counted.
func TestNotifyCountsOnlyFromTheWorkersTree(t *testing.T) {
	for _, tt := range []struct {
		name     string
		childUID string // "-": no child
		outsider bool   // the test sends READY=1 on the worker's socket
		want     []string
		refused  uint64
	}{
		{"worker and child", "", false, []string{"child", "worker"}, 0},
		{"child as another user", "65534", false, []string{"worker"}, 1},
		{"another process", "-", true, []string{"worker"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "notify-tree", func(c *fixtureConfig) {
				if tt.childUID != "-" {
					c.Spec.Env = append(c.Spec.Env, "NOTIFY_CHILD_UID="+tt.childUID)
				}
			})
			p := f.spawn(t, 1, 0, false)
			if got := statusOf(t, f); got != "waiting" {
				t.Fatalf("first status %q, want waiting", got)
			}
			if tt.outsider {
				if err := notify.Send(filepath.Join(f.spawner.runtimeDir, "w1.notify"), "READY=1\nSTATUS=outsider"); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if got := statusOf(t, f); got != want {
					t.Fatalf("status %q, want %q", got, want)
				}
			}
			// Refusals come before the worker's own status on one socket.
			if got := f.spawner.NotifyRefused(); got != tt.refused {
				t.Errorf("refused %d datagrams, want %d", got, tt.refused)
			}
		})
	}
}

// After the runtime directory lost the worker's socket file, RebindNotify
// binds a new one at the same path, which the worker's next datagram
// reaches.
func TestRebindNotifyAfterTheSocketFileIsGone(t *testing.T) {
	f := newFixture(t, "notify-tree")
	p := f.spawn(t, 1, 0, false)
	if got := statusOf(t, f); got != "waiting" {
		t.Fatalf("first status %q, want waiting", got)
	}
	path := filepath.Join(f.spawner.runtimeDir, "w1.notify")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := f.spawner.RebindNotify(); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, f); got != "worker" {
		t.Fatalf("status %q, want worker", got)
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	next[supervisor.Exited](t, f.sink)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file after the worker exited: %v, want removed", err)
	}
}
