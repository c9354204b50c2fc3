package e2e

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/rundir"
)

// Datagrams sent on a worker's notify socket by a process that is neither
// the worker nor one it started are dropped and counted, and logged once
// per worker: a worker that only runs sleep is not made ready by them.
func TestNotifyFromOutsideTheWorkerIsRefused(t *testing.T) {
	t.Parallel()
	base := shortBase(t)
	args := append(slices.Clone(sleepPool), "--ready-timeout", "3s", "--metrics-listen", "127.0.0.1:0")
	p := start(t, spec{args: args, command: []string{"sleep", "1000"}, env: []string{rundir.BaseEnv + "=" + base}})
	url := "http://" + metricsAddr(t, p) + "/metrics"
	p.waitLog(`INF worker started `, bound)
	socks, _ := filepath.Glob(filepath.Join(runtimeDirIn(t, base, "sleeper"), "*.notify"))
	if len(socks) != 1 {
		t.Fatalf("notify sockets %q, want 1", socks)
	}
	const sent = 5
	for range sent {
		sendAndWaitClosed(t, socks[0], "READY=1")
	}
	if got := scrapeMetrics(t, url).value(t, "poold_notify_refused_total"); got != sent {
		t.Errorf("poold_notify_refused_total = %v, want %d", got, sent)
	}
	p.waitLog(`worker not ready in time`, bound) // every line about the datagrams is before it
	if p.sawLog(`INF worker ready `) {
		t.Error("a worker that only runs sleep was made ready by another process's READY=1")
	}
	n := 0
	for _, l := range p.passed() {
		if strings.Contains(l.text, "notify datagram refused") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d log lines about refused datagrams, want 1", n)
	}
}

// sendAndWaitClosed sends state to the socket at path with a pipe's write
// end, and waits until the receiver has closed it: done with the datagram.
func sendAndWaitClosed(t *testing.T, path, state string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	err = unix.Sendmsg(fd, []byte(state), unix.UnixRights(int(w.Fd())), &unix.SockaddrUnix{Name: path}, 0)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetReadDeadline(time.Now().Add(bound)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read the pipe sent with %q: %v, want EOF", state, err)
	}
}
