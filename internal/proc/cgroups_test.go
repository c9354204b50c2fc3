package proc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
)

func init() {
	workerHelpers["escape"] = func() int { return escape(false) }
	workerHelpers["escape-stay"] = func() int { return escape(true) }
}

// escape starts a long sleep in a session of its own, out of reach of its
// process group, holding the pool's socket (fd 3), reports the sleep's PID
// as its STATUS, then exits (or stays, ignoring SIGTERM).
func escape(stay bool) int {
	cmd := exec.Command("sleep", "1000")
	cmd.ExtraFiles = []*os.File{os.NewFile(3, "pool")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 1
	}
	daemon.SdNotify(false, "STATUS=child="+strconv.Itoa(cmd.Process.Pid))
	if stay {
		return ignoreTerm()
	}
	return 0
}

// testCgroups makes plain cgroups on the host's cgroup2 hierarchy, one per
// worker, below a cgroup of the test's; the test process stays where it
// is (the hierarchy's root has no rule against processes beside cgroups).
type testCgroups struct {
	dir string
	oom bool // what OOM reports

	mu      sync.Mutex
	created []*testCgroup
}

func newTestCgroups(t *testing.T) *testCgroups {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	b, _ := os.ReadFile("/proc/self/cgroup")
	if !strings.Contains(string(b), "0::/\n") {
		t.Skip("the test does not run in the cgroup2 hierarchy's root")
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mi), "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "/" || !strings.Contains(line, " - cgroup2 ") {
			continue
		}
		dir := filepath.Join(f[4], fmt.Sprintf("poold-proc-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Skipf("cannot make a cgroup: %v", err)
		}
		t.Cleanup(func() { os.Remove(dir) })
		return &testCgroups{dir: dir}
	}
	t.Skip("no cgroup2 hierarchy")
	return nil
}

func (c *testCgroups) Create(slot int, id uint64, _ MemoryLimits) (Cgroup, error) {
	dir := filepath.Join(c.dir, fmt.Sprintf("worker-%d-%d", slot, id))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	cg := &testCgroup{dir: dir, fd: fd, oom: c.oom}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, cg)
	return cg, nil
}

func (c *testCgroups) Adopt(slot int, id uint64) (Cgroup, error) {
	dir := filepath.Join(c.dir, fmt.Sprintf("worker-%d-%d", slot, id))
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &testCgroup{dir: dir, fd: fd, oom: c.oom}, nil
}

func (c *testCgroups) only(t *testing.T) *testCgroup {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.created) != 1 {
		t.Fatalf("%d cgroups created, want 1", len(c.created))
	}
	return c.created[0]
}

type testCgroup struct {
	dir string
	fd  int
	oom bool

	mu             sync.Mutex
	kills, removes int
}

func (c *testCgroup) FD() int      { return c.fd }
func (c *testCgroup) Path() string { return c.dir }
func (c *testCgroup) OOM() (bool, string) {
	return c.oom, "the test's limit"
}

func (c *testCgroup) Kill() error {
	c.mu.Lock()
	c.kills++
	c.mu.Unlock()
	return os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0)
}

// Remove waits for cgroup.events to say "populated 0" (the kernel wakes
// poll with POLLPRI when it changes), then removes the cgroup.
func (c *testCgroup) Remove() error {
	c.mu.Lock()
	c.removes++
	c.mu.Unlock()
	unix.Close(c.fd)
	f, err := os.Open(filepath.Join(c.dir, "cgroup.events"))
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		f.Seek(0, 0)
		line, _ := bufio.NewReader(f).ReadString('\n')
		if line == "populated 0\n" {
			return os.Remove(c.dir)
		}
		fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLPRI}}
		if n, err := unix.Poll(fds, int(eventBound.Milliseconds())); n == 0 || err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("%s still populated: %v", c.dir, err)
		}
	}
}

func (c *testCgroup) counts() (kills, removes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kills, c.removes
}

// escapee returns the PID the escape helper reported, opened as a pidfd.
func escapee(t *testing.T, f *fixture) (pid, pidfd int) {
	t.Helper()
	n := next[supervisor.Notified](t, f.sink)
	for n.Datagram.Message.Status == "" { // another worker's READY=1
		n = next[supervisor.Notified](t, f.sink)
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(n.Datagram.Message.Status, "child="))
	if err != nil {
		t.Fatalf("status %q", n.Datagram.Message.Status)
	}
	if pidfd, err = unix.PidfdOpen(pid, 0); err != nil {
		t.Fatalf("escaped child %d already gone: %v", pid, err)
	}
	t.Cleanup(func() { unix.Close(pidfd) })
	return pid, pidfd
}

// exited waits until the process of pidfd has exited.
func exited(t *testing.T, pidfd int, what string) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(eventBound)
	n, err := unix.Poll(fds, int(eventBound.Milliseconds()))
	for errors.Is(err, unix.EINTR) && time.Now().Before(deadline) { // the Go runtime's preemption signals
		n, err = unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
	}
	if err != nil || n != 1 {
		t.Fatalf("%s still runs (poll %d, %v)", what, n, err)
	}
}

// A worker starts in its cgroup; a child that left its process group
// dies with it, whether it exits or is killed, and the cgroup goes.
func TestWorkerCgroupTakesItsTree(t *testing.T) {
	for _, stay := range []bool{false, true} {
		t.Run(fmt.Sprintf("stay=%v", stay), func(t *testing.T) {
			cgs := newTestCgroups(t)
			helper := map[bool]string{false: "escape", true: "escape-stay"}[stay]
			f := newFixture(t, helper, func(c *fixtureConfig) { c.Cgroups = cgs })
			p := f.spawn(t, 4, 2, false)
			child, pidfd := escapee(t, f)
			cg := cgs.only(t)
			if filepath.Base(cg.dir) != "worker-2-4" {
				t.Errorf("cgroup %s, want worker-2-4", cg.dir)
			}
			for _, pid := range []int{p.PID(), child} {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
				if stay && !strings.HasSuffix(strings.TrimSpace(string(b)), "/worker-2-4") {
					t.Errorf("pid %d is in %q, want the worker's cgroup", pid, b)
				}
			}
			if stay {
				if err := p.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
			ev := next[supervisor.Exited](t, f.sink)
			exited(t, pidfd, fmt.Sprintf("the worker's escaped child %d", child))
			kills, removes := cg.counts()
			if kills < 1 || removes != 1 || ev.Status.OOMKilled {
				t.Errorf("cgroup killed %d times, removed %d times, status %v; want killed, removed once, no OOM", kills, removes, ev.Status)
			}
			if _, err := os.Stat(cg.dir); !os.IsNotExist(err) {
				t.Errorf("cgroup %s still there: %v", cg.dir, err)
			}
		})
	}
}

// A SIGKILL that the worker's cgroup counts as the OOM killer's is
// reported as such; another death is not.
func TestOOMKillIsReported(t *testing.T) {
	cgs := newTestCgroups(t)
	cgs.oom = true
	f := newFixture(t, "ignore-term", func(c *fixtureConfig) { c.Cgroups = cgs })
	p := f.spawn(t, 1, 0, false)
	next[supervisor.Notified](t, f.sink)
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ev := next[supervisor.Exited](t, f.sink)
	if want := (supervisor.ExitStatus{Signal: syscall.SIGKILL, OOMKilled: true}); ev.Status != want {
		t.Errorf("status %+v, want %+v", ev.Status, want)
	}
	if !strings.Contains(ev.Status.String(), "OOM killer") {
		t.Errorf("status %q does not name the OOM killer", ev.Status)
	}

	f = newFixture(t, "exit3", func(c *fixtureConfig) { c.Cgroups = cgs })
	f.spawn(t, 2, 0, false)
	if ev := next[supervisor.Exited](t, f.sink); ev.Status != (supervisor.ExitStatus{Code: 3}) {
		t.Errorf("status %+v, want exit code 3 alone", ev.Status)
	}
}

type failingCgroups struct{}

func (failingCgroups) Create(int, uint64, MemoryLimits) (Cgroup, error) {
	return nil, errors.New("no room")
}

func (failingCgroups) Adopt(int, uint64) (Cgroup, error) { return nil, errors.New("no room") }

func TestSpawnFailsWithoutItsCgroup(t *testing.T) {
	f := newFixture(t, "serve", func(c *fixtureConfig) { c.Cgroups = failingCgroups{} })
	_, err := f.spawner.Spawn(f.request(1, 3), f.sink)
	if err == nil || !strings.Contains(err.Error(), "spawn worker 3: cgroup: no room") {
		t.Fatalf("got %v", err)
	}
}
