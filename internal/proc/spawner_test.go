package proc

import (
	"encoding/json"
	"errors"
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
	"github.com/poold/poold/internal/config"
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
	spec    config.WorkerSpec // of the workers spawn starts
	sockets []activation.Socket
	sink    chanSink
}

// fixtureConfig is what a fixture's configure may change: the spawner's
// Config and the spec its workers are made from.
type fixtureConfig struct {
	Config
	Spec config.WorkerSpec
}

// newFixture makes a spawner of helper workers for one TCP pool socket,
// "http"; configure changes its Config before the spawner is made.
func newFixture(t *testing.T, helper string, configure ...func(*fixtureConfig)) *fixture {
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
	cfg := fixtureConfig{
		Config: Config{
			Pool: "test", Sockets: socks, RuntimeDir: dir,
			Stdout: os.Stdout, Stderr: os.Stderr, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		},
		Spec: config.WorkerSpec{
			Command: []string{os.Args[0]},
			Env: append(os.Environ(), helperEnv+"="+helper, "NOTIFY_SOCKET=/leak", "WATCHDOG_USEC=5", "POOLD_SLOT=99",
				"WEB_CONCURRENCY=8"),
			StopTimeout: 2500 * time.Millisecond,
		},
	}
	for _, c := range configure {
		c(&cfg)
	}
	sp, err := NewSpawner(cfg.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{spawner: sp, spec: cfg.Spec, sockets: socks, sink: make(chanSink, 64)}
}

// request asks for worker id in slot, of generation 2, made from the
// fixture's spec.
func (f *fixture) request(id supervisor.WorkerID, slot int) supervisor.SpawnRequest {
	return supervisor.SpawnRequest{ID: id, Slot: slot, Generation: 2, Spec: f.spec}
}

func (f *fixture) spawn(t *testing.T, id supervisor.WorkerID, slot int, probe bool) supervisor.Process {
	t.Helper()
	req := f.request(id, slot)
	req.ProbeListening = probe
	p, err := f.spawner.Spawn(req, f.sink)
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
	f := newFixture(t, "serve", func(c *fixtureConfig) { c.Spec.Watchdog = 3 * time.Second })
	p := f.spawn(t, 1, 0, false)
	next[supervisor.Notified](t, f.sink)
	got := askWorker(t, f.sockets[0].Addr)
	if got.Env["WATCHDOG_USEC"] != "3000000" || got.Env["WATCHDOG_PID"] != strconv.Itoa(p.PID()) {
		t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q, want 3000000 and %d", got.Env["WATCHDOG_USEC"], got.Env["WATCHDOG_PID"], p.PID())
	}
}

func TestWorkerTalksOnItsChannel(t *testing.T) {
	hub := channel.NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)))
	f := newFixture(t, "channel", func(c *fixtureConfig) { c.Channels = hub })
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
	f.spec.Command = []string{"/nonexistent/worker"}
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
			f.spec.Command = []string{python, "-c", code}
			f.spawn(t, 1, 0, true)
			if ev := next[supervisor.Listening](t, f.sink); ev.ID != 1 {
				t.Fatalf("Listening for worker %d, want 1", ev.ID)
			}
		})
	}
}

// Each worker is made from its own request's spec: a reload's generation
// gets its command's environment and settings, the worker before it kept
// its own.
func TestEachGenerationGetsItsSpec(t *testing.T) {
	f := newFixture(t, "serve")
	first := f.spawn(t, 1, 0, false)
	next[supervisor.Notified](t, f.sink)
	if got := askWorker(t, f.sockets[0].Addr); got.Env["APP_VERSION"] != "" || got.Env["POOLD_GENERATION"] != "2" {
		t.Fatalf("first worker's env %v, want generation 2 without APP_VERSION", got.Env)
	}
	first.Signal(syscall.SIGKILL)
	next[supervisor.Exited](t, f.sink)

	spec := f.spec
	spec.Env = append(slices.Clip(spec.Env), "APP_VERSION=2")
	spec.StopTimeout, spec.Watchdog = 7*time.Second, 4*time.Second
	p, err := f.spawner.Spawn(supervisor.SpawnRequest{ID: 2, Slot: 0, Generation: 3, Spec: spec}, f.sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Signal(syscall.SIGKILL) })
	next[supervisor.Notified](t, f.sink)
	got := askWorker(t, f.sockets[0].Addr)
	want := map[string]string{"APP_VERSION": "2", "POOLD_GENERATION": "3", "POOLD_STOP_TIMEOUT_MS": "7000", "WATCHDOG_USEC": "4000000"}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("%s=%q, want %q", k, got.Env[k], v)
		}
	}
}

func TestSpawnWithoutCommandFails(t *testing.T) {
	f := newFixture(t, "serve")
	_, err := f.spawner.Spawn(supervisor.SpawnRequest{ID: 1, Slot: 0, Generation: 1}, f.sink)
	if !errors.Is(err, ErrNoCommand) {
		t.Fatalf("Spawn = %v, want ErrNoCommand", err)
	}
}
