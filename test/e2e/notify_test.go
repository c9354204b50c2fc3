package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/notify"
)

// With --ready notify only READY=1 makes a worker ready; the real
// systemd-notify sends it (and waits on its BARRIER=1 pipe, which poold must
// close).
func TestSystemdNotifyMakesAWorkerReady(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("systemd-notify")
	needTool(t, err == nil, "systemd-notify", "apt-get install systemd")
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1", "--ready", "notify"}, helper: "notify-serve"})
	p.waitLog(`INF worker ready .*\bvia="?READY=1`, bound)
	p.waitLog(`INF pool ready `, bound)
}

// poold speaks sd_notify to the NOTIFY_SOCKET it was given: READY=1 with the
// pool's STATUS= once every worker is ready, WATCHDOG=1 at half of
// WATCHDOG_USEC, STOPPING=1 on SIGTERM. Its workers get a NOTIFY_SOCKET of
// poold's instead: nothing they send reaches the service manager.
func TestPooldNotifiesItsServiceManager(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "e2e-notify-") // short: sun_path holds 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	sock, err := notify.Listen(path) // closes every fd passed to it
	if err != nil {
		t.Fatal(err)
	}
	datagrams := make(chan notify.Datagram, 1024)
	received := make(chan struct{})
	go func() {
		defer close(received)
		for {
			d, err := sock.Receive()
			if err != nil {
				return
			}
			datagrams <- d
		}
	}()
	t.Cleanup(func() { sock.Close(); <-received })

	p := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", "2"},
		helper: "serve", // says READY=1 itself
		env:    []string{"NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=400000"},
	})
	url := "http://" + p.addr() + "/"
	pooldPID := p.cmd.Process.Pid
	next := func(what string, want func(notify.Message) bool) notify.Datagram {
		t.Helper()
		deadline := time.After(bound)
		for {
			select {
			case d := <-datagrams:
				if d.PID != pooldPID {
					t.Fatalf("datagram %q from pid %d, not poold (%d): a worker has poold's NOTIFY_SOCKET", d.Raw, d.PID, pooldPID)
				}
				if want(d.Message) {
					return d
				}
			case <-deadline:
				t.Fatalf("no %s from poold within %v", what, bound)
			}
		}
	}

	ready := next("READY=1", func(m notify.Message) bool { return m.Ready })
	if !strings.HasPrefix(ready.Message.Status, "2/2 workers ready") {
		t.Errorf("READY=1 came with STATUS=%q, want 2/2 workers ready", ready.Message.Status)
	}
	for range 3 {
		next("WATCHDOG=1", func(m notify.Message) bool { return m.Watchdog })
	}
	for pid, a := range answersFrom(t, url, 2) {
		fi, err := os.Stat(a.NotifySocket)
		if a.NotifySocket == path || err != nil || fi.Mode().Type() != os.ModeSocket {
			t.Errorf("worker %d has NOTIFY_SOCKET=%q (%v), want a socket of poold's own", pid, a.NotifySocket, err)
		}
	}
	p.signal(syscall.SIGTERM)
	next("STOPPING=1", func(m notify.Message) bool { return m.Stopping })
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d after SIGTERM, want 0", code)
	}
	sock.Close()
	<-received
	for len(datagrams) > 0 { // whatever came after STOPPING=1, up to the exit
		if d := <-datagrams; d.PID != pooldPID {
			t.Errorf("datagram %q from pid %d, not poold (%d)", d.Raw, d.PID, pooldPID)
		}
	}
}
