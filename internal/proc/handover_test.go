package proc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/supervisor"
)

// successor is a second spawner over the same sockets and directory: the
// poold after an upgrade, in this process.
func successor(t *testing.T, f *fixture, configure ...func(*Config)) *fixture {
	t.Helper()
	cfg := Config{Pool: "test", Sockets: f.sockets, RuntimeDir: f.spawner.runtimeDir,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range configure {
		c(&cfg)
	}
	sp, err := NewSpawner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{spawner: sp, sockets: f.sockets, sink: make(chanSink, 64)}
}

// handOver freezes f's spawner and adopts its only worker in next.
func handOver(t *testing.T, f, next *fixture) supervisor.Process {
	t.Helper()
	handed, err := f.spawner.Freeze()
	if err != nil {
		t.Fatal(err)
	}
	if len(handed) != 1 {
		t.Fatalf("Freeze handed %d workers, want 1", len(handed))
	}
	p, err := next.spawner.Adopt(handed[0], false, next.sink)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdoptedWorkerIsWatchedByItsNewSpawner(t *testing.T) {
	old := newFixture(t, "notify-tree")
	p := old.spawn(t, 5, 1, false)
	if n := next[supervisor.Notified](t, old.sink); n.Datagram.Message.Status != "waiting" {
		t.Fatalf("first notification %+v, want STATUS=waiting", n)
	}
	succ := successor(t, old)
	adopted := handOver(t, old, succ)
	if adopted.PID() != p.PID() {
		t.Fatalf("adopted pid %d, want %d", adopted.PID(), p.PID())
	}
	// Frozen, the worker still runs and is not reaped: its pidfd says so.
	if err := unix.Kill(p.PID(), 0); err != nil {
		t.Fatalf("worker after the freeze: %v", err)
	}
	if err := adopted.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if n := next[supervisor.Notified](t, succ.sink); n.ID != 5 || n.Datagram.Message.Status != "worker" {
		t.Fatalf("notification after adoption %+v, want STATUS=worker from worker 5 on the new sink", n)
	}
	if err := adopted.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e := next[supervisor.Exited](t, succ.sink); e.ID != 5 || e.Status.Signal != syscall.SIGKILL {
		t.Fatalf("exit %+v, want worker 5 killed by SIGKILL", e)
	}
	select {
	case ev := <-old.sink:
		if _, ok := ev.(supervisor.Exited); ok {
			t.Errorf("the frozen spawner reported %+v", ev)
		}
	default:
	}
}

func TestWorkerThatExitsWhileFrozenIsReapedByItsAdopter(t *testing.T) {
	old := newFixture(t, "ignore-term")
	p := old.spawn(t, 2, 0, false)
	next[supervisor.Notified](t, old.sink)
	handed, err := old.spawner.Freeze()
	if err != nil || len(handed) != 1 {
		t.Fatalf("Freeze = %v, %v", handed, err)
	}
	if err := unix.Kill(p.PID(), unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// A zombie soon, which nothing of the frozen spawner reaps: its pidfd
	// becomes readable when it has exited.
	fds := []unix.PollFd{{Fd: int32(handed[0].PidFD), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, int(eventBound.Milliseconds())); n != 1 || err != nil {
		t.Fatalf("worker %d did not exit: %d, %v", p.PID(), n, err)
	}
	succ := successor(t, old)
	if _, err := succ.spawner.Adopt(handed[0], false, succ.sink); err != nil {
		t.Fatal(err)
	}
	if e := next[supervisor.Exited](t, succ.sink); e.Status.Signal != syscall.SIGKILL {
		t.Fatalf("exit %+v, want SIGKILL", e)
	}
}

func TestAdoptedChannelKeepsItsHello(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	oldHub, newHub := channel.NewHub(quiet), channel.NewHub(quiet)
	old := newFixture(t, "channel", func(c *fixtureConfig) { c.Channels = oldHub })
	old.spawn(t, 4, 0, false)
	next[supervisor.Reported](t, old.sink) // after its hello
	succ := successor(t, old, func(c *Config) { c.Channels = newHub })
	handOver(t, old, succ)
	if n := newHub.Broadcast(json.RawMessage(`"bye"`)); n != 1 {
		t.Fatalf("broadcast through the new hub reached %d workers, want 1", n)
	}
	if e := next[supervisor.Exited](t, succ.sink); !e.Status.Clean() {
		t.Fatalf("worker %v, want exit 0 after the broadcast", e.Status)
	}
}

// A worker in a cgroup of its own keeps it across the handover: the
// adopter's SIGKILL reaches the child that escaped its process group.
func TestAdoptedWorkerKeepsItsCgroup(t *testing.T) {
	cgs := newTestCgroups(t)
	old := newFixture(t, "escape-stay", func(c *fixtureConfig) { c.Cgroups = cgs })
	old.spawn(t, 4, 2, false)
	child, pidfd := escapee(t, old)
	succ := successor(t, old, func(c *Config) { c.Cgroups = cgs })
	p := handOver(t, old, succ)
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	next[supervisor.Exited](t, succ.sink)
	exited(t, pidfd, fmt.Sprintf("the adopted worker's escaped child %d", child))
	if _, err := os.Stat(cgs.only(t).dir); !os.IsNotExist(err) {
		t.Errorf("the adopted worker's cgroup is still there: %v", err)
	}
}

func TestHandedRemapsEveryFD(t *testing.T) {
	h := Handed{PidFD: 10, NotifyFD: 11, Channel: &channel.Handed{FD: 12}, Stdout: 13, Stderr: -1}
	got := h.Remap(func(fd int) int { return fd + 100 })
	if want := []int{110, 112, 111, 113}; !slices.Equal(got.FDs(), want) {
		t.Errorf("remapped FDs %v, want %v", got.FDs(), want)
	}
	if h.Channel.FD != 12 || got.Stderr != -1 {
		t.Errorf("Remap changed the original (%d) or a stream that had ended (%d)", h.Channel.FD, got.Stderr)
	}
}

// A worker the new spawner cannot adopt (its slot has no sockets) is
// killed, not left serving unsupervised.
func TestWorkerThatCannotBeAdoptedIsKilled(t *testing.T) {
	old := newFixture(t, "ignore-term")
	p := old.spawn(t, 3, 1, false)
	next[supervisor.Notified](t, old.sink)
	handed, err := old.spawner.Freeze()
	if err != nil || len(handed) != 1 {
		t.Fatalf("Freeze = %v, %v", handed, err)
	}
	watch, err := unix.PidfdOpen(p.PID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(watch)
	succ := successor(t, old, func(c *Config) {
		c.SlotSockets = func(int) ([]activation.Socket, error) { return nil, errors.New("no sockets") }
	})
	if _, err := succ.spawner.Adopt(handed[0], false, succ.sink); err == nil {
		t.Fatal("Adopt without the slot's sockets: no error")
	}
	fds := []unix.PollFd{{Fd: int32(watch), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, int(eventBound.Milliseconds())); n != 1 || err != nil {
		t.Fatalf("the worker that was not adopted still runs: %d, %v", n, err)
	}
}
