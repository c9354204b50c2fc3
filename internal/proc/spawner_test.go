package proc

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/testbound"
)

// eventBound is how long a test waits for an event before failing; events
// normally arrive in milliseconds. It grows with $POOLD_TEST_TIMEOUT_FACTOR.
var eventBound = testbound.Scale(20 * time.Second)

type chanSink chan supervisor.WorkerEvent

func (c chanSink) Post(ev supervisor.WorkerEvent) { c <- ev }

// next returns the next event of type T, skipping others.
func next[T any](t *testing.T, c chanSink) T {
	t.Helper()
	deadline := time.After(eventBound)
	for {
		select {
		case ev := <-c:
			if v, ok := ev.(T); ok {
				return v
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T event within %v", zero, eventBound)
			return zero
		}
	}
}

type fixture struct {
	spawner *Spawner
	sockets []activation.Socket
	sink    chanSink
}

// newFixture makes a spawner of helper workers for one TCP pool socket,
// "http"; configure changes its Config before the spawner is made.
func newFixture(t *testing.T, helper string, configure ...func(*Config)) *fixture {
	t.Helper()
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { activation.CloseAll(socks) })
	dir, err := os.MkdirTemp("", "proc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := Config{
		Pool: "test", Command: []string{os.Args[0]}, Sockets: socks, RuntimeDir: dir,
		Env: append(os.Environ(), helperEnv+"="+helper, "NOTIFY_SOCKET=/leak", "WATCHDOG_USEC=5", "POOLD_SLOT=99",
			"WEB_CONCURRENCY=8"),
		StopTimeout: 2500 * time.Millisecond,
		Stdout:      os.Stdout, Stderr: os.Stderr, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, c := range configure {
		c(&cfg)
	}
	sp, err := NewSpawner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{spawner: sp, sockets: socks, sink: make(chanSink, 64)}
}

func (f *fixture) spawn(t *testing.T, id supervisor.WorkerID, slot int, probe bool) supervisor.Process {
	t.Helper()
	p, err := f.spawner.Spawn(supervisor.SpawnRequest{ID: id, Slot: slot, Generation: 2, ProbeListening: probe}, f.sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Signal(syscall.SIGKILL) })
	return p
}

func TestWorkerGetsTheContract(t *testing.T) {
	// An fd poold inherited without close-on-exec, as from a shell.
	stray := filepath.Join(t.TempDir(), "stray")
	fd, err := unix.Open(stray, unix.O_CREAT|unix.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	f := newFixture(t, "serve")
	p := f.spawn(t, 7, 3, false)
	if n := next[supervisor.Notified](t, f.sink); n.ID != 7 || !n.Datagram.Message.Ready || n.Datagram.PID != p.PID() {
		t.Fatalf("notification %+v, want READY=1 from worker 7 (pid %d)", n, p.PID())
	}
	got := askWorker(t, f.sockets[0].Addr)
	if got.PID != p.PID() || got.ListenPID != strconv.Itoa(p.PID()) {
		t.Errorf("pid %d LISTEN_PID %q, want both %d", got.PID, got.ListenPID, p.PID())
	}
	want := map[string]string{
		"LISTEN_FDS": "1", "LISTEN_FDNAMES": "http", "POOLD_SLOT": "3", "NODE_APP_INSTANCE": "3",
		"POOLD_POOL": "test", "POOLD_GENERATION": "2", "POOLD_WORKER_ID": "7", "WEB_CONCURRENCY": "1",
		"POOLD_STOP_TIMEOUT_MS": "2500",
	}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("%s=%q, want %q", k, got.Env[k], v)
		}
	}
	if ns := got.Env["NOTIFY_SOCKET"]; filepath.Base(ns) != "w7.notify" {
		t.Errorf("NOTIFY_SOCKET=%q, want the worker's own socket", ns)
	}
	if _, leaked := got.Env["WATCHDOG_USEC"]; leaked {
		t.Error("poold's WATCHDOG_USEC reached the worker")
	}
	if slices.Contains(got.OpenFiles, stray) {
		t.Errorf("an fd poold inherited reached the worker: %q", got.OpenFiles)
	}
}

func TestWorkerGetsItsWatchdog(t *testing.T) {
	f := newFixture(t, "serve", func(c *Config) { c.Watchdog = 3 * time.Second })
	p := f.spawn(t, 1, 0, false)
	next[supervisor.Notified](t, f.sink)
	got := askWorker(t, f.sockets[0].Addr)
	if got.Env["WATCHDOG_USEC"] != "3000000" || got.Env["WATCHDOG_PID"] != strconv.Itoa(p.PID()) {
		t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q, want 3000000 and %d", got.Env["WATCHDOG_USEC"], got.Env["WATCHDOG_PID"], p.PID())
	}
}

func TestWorkerTalksOnItsChannel(t *testing.T) {
	hub := channel.NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)))
	f := newFixture(t, "channel", func(c *Config) { c.Channels = hub })
	f.spawn(t, 4, 0, false)
	if n := next[supervisor.Notified](t, f.sink); n.ID != 4 || !n.Datagram.Message.Ready {
		t.Fatalf("notification %+v, want READY=1 from worker 4", n)
	}
	if r := next[supervisor.Reported](t, f.sink); r.ID != 4 || r.Metrics.Requests != 5 {
		t.Fatalf("report %+v, want 5 requests from worker 4", r)
	}
	// The hello came before the metrics, so the worker now takes broadcasts.
	if n := hub.Broadcast(json.RawMessage(`"bye"`)); n != 1 {
		t.Fatalf("broadcast reached %d workers, want 1", n)
	}
	if e := next[supervisor.Exited](t, f.sink); !e.Status.Clean() {
		t.Fatalf("worker %v, want exit 0 after the broadcast", e.Status)
	}
	if _, ok := hub.Stats(4); ok {
		t.Error("the exited worker's channel is still attached")
	}
}

func TestProbeSeesAWorkerListening(t *testing.T) {
	f := newFixture(t, "serve-silent")
	f.spawn(t, 1, 0, true)
	if ev := next[supervisor.Listening](t, f.sink); ev.ID != 1 {
		t.Fatalf("Listening for worker %d, want 1", ev.ID)
	}
}

func TestExitStatusIsReported(t *testing.T) {
	f := newFixture(t, "exit3")
	f.spawn(t, 1, 0, true)
	if ev := next[supervisor.Exited](t, f.sink); ev.Status != (supervisor.ExitStatus{Code: 3}) {
		t.Fatalf("exit %v, want code 3", ev.Status)
	}
	f = newFixture(t, "ignore-term")
	p := f.spawn(t, 2, 0, false)
	next[supervisor.Notified](t, f.sink)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if ev := next[supervisor.Exited](t, f.sink); ev.Status != (supervisor.ExitStatus{Signal: syscall.SIGKILL}) {
		t.Fatalf("exit %v, want SIGKILL", ev.Status)
	}
	if err := p.Signal(syscall.SIGTERM); err != os.ErrProcessDone {
		t.Fatalf("signal after reap = %v, want ErrProcessDone", err)
	}
}

func TestMissingCommandExits127(t *testing.T) {
	f := newFixture(t, "serve")
	f.spawner.command = []string{"/nonexistent/worker"}
	f.spawn(t, 1, 0, false)
	if ev := next[supervisor.Exited](t, f.sink); ev.Status.Code != exitNotFound {
		t.Fatalf("exit %v, want 127", ev.Status)
	}
}

func TestWorkerGroupDiesWithItsLeader(t *testing.T) {
	f := newFixture(t, "orphan")
	f.spawn(t, 1, 0, false)
	n := next[supervisor.Notified](t, f.sink)
	child, err := strconv.Atoi(strings.TrimPrefix(n.Datagram.Message.Status, "child="))
	if err != nil {
		t.Fatalf("status %q", n.Datagram.Message.Status)
	}
	pidfd, err := unix.PidfdOpen(child, 0)
	if err != nil {
		t.Fatalf("orphan %d already gone before its leader was reaped: %v", child, err)
	}
	defer unix.Close(pidfd)
	next[supervisor.Exited](t, f.sink)
	// A pidfd polls readable once its process has exited.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, int(eventBound.Milliseconds())); err != nil || n != 1 {
		t.Fatalf("orphan %d still runs after its worker exited (poll %d, %v)", child, n, err)
	}
}

func TestProbeSeesPollAndSelectServers(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	for name, code := range map[string]string{"poll": servePollPython, "select": serveSelectPython} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "none")
			f.spawner.command = []string{python, "-c", code}
			f.spawn(t, 1, 0, true)
			if ev := next[supervisor.Listening](t, f.sink); ev.ID != 1 {
				t.Fatalf("Listening for worker %d, want 1", ev.ID)
			}
		})
	}
}
