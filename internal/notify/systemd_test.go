package notify

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

const systemdNotify = "/usr/bin/systemd-notify"

// runSystemdNotify runs systemd-notify against s and returns its pid and all
// datagrams s received. If the BARRIER=1 pipe fd is left open, systemd-notify
// 252 gives up after 5 s and exits 1 ("Failed to invoke barrier"); the 10 s
// context only bounds a systemd-notify that would hang instead.
func runSystemdNotify(t *testing.T, args ...string) (int, []Datagram) {
	t.Helper()
	if _, err := os.Stat(systemdNotify); err != nil {
		t.Skip(err)
	}
	s := listen(t, socketPath(t))
	got := make(chan Datagram, 64)
	go func() {
		defer close(got)
		for {
			d, err := s.Receive()
			if err != nil {
				return
			}
			got <- d
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(10*time.Second))
	defer cancel()
	cmd := exec.CommandContext(ctx, systemdNotify, args...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+s.Path())
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("systemd-notify %v still running after 10s (BARRIER fd left open?): %s", args, out)
	}
	if err != nil {
		t.Fatalf("systemd-notify %v: %v: %s", args, err, out)
	}
	s.Close() // systemd-notify returned, so its datagrams were all received
	var ds []Datagram
	for d := range got {
		if d.Err != nil {
			t.Errorf("datagram %q: %v", d.Raw, d.Err)
		}
		ds = append(ds, d)
	}
	return cmd.Process.Pid, ds
}

// find returns the first datagram that has ok, failing the test if none has.
func find(t *testing.T, ds []Datagram, what string, ok func(Message) bool) Datagram {
	t.Helper()
	for _, d := range ds {
		if ok(d.Message) {
			return d
		}
	}
	t.Fatalf("no %s datagram among %d", what, len(ds))
	return Datagram{}
}

func TestSystemdNotifyReady(t *testing.T) {
	_, ds := runSystemdNotify(t, "--ready", "--status=hello")
	d := find(t, ds, "READY", func(m Message) bool { return m.Ready })
	if !d.Message.HasStatus || d.Message.Status != "hello" {
		t.Errorf("READY datagram %q: Status = %q, want hello", d.Raw, d.Message.Status)
	}
	if d.UID != os.Getuid() {
		t.Errorf("UID = %d, want %d", d.UID, os.Getuid())
	}
	b := find(t, ds, "BARRIER", func(m Message) bool { return m.Barrier })
	if b.FDs != 1 {
		t.Errorf("BARRIER datagram carried %d fds, want 1", b.FDs)
	}
}

func TestSystemdNotifyPIDSelf(t *testing.T) {
	pid, ds := runSystemdNotify(t, "--pid=self", "--ready")
	d := find(t, ds, "READY", func(m Message) bool { return m.Ready })
	if d.PID != pid || d.Message.MainPID != pid {
		t.Errorf("PID = %d, MAINPID = %d, want systemd-notify's pid %d", d.PID, d.Message.MainPID, pid)
	}
}
