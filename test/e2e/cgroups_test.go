package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	// escape-serve starts a sleep in a session of its own, out of reach of
	// signals to its process group, then serves.
	helpers["escape-serve"] = func() int {
		cmd := exec.Command("sleep", "1000")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return helperFailed("start the escapee: %v", err)
		}
		fmt.Fprintf(os.Stderr, "e2e-helper: escaped pid=%d slot=%s\n", cmd.Process.Pid, os.Getenv("POOLD_SLOT"))
		return serve(serveOptions{})
	}
}

// cgroupStatus is what poolctl status --json says of the workers' cgroups.
type cgroupStatus struct {
	Pool struct {
		WorkerCgroups string `json:"worker_cgroups"`
		MainPID       int    `json:"main_pid"`
	} `json:"pool"`
	Workers []struct {
		Slot  int    `json:"slot"`
		PID   int    `json:"pid"`
		State string `json:"state"`
	} `json:"workers"`
}

func cgroupStatusOf(t *testing.T, name string) cgroupStatus {
	t.Helper()
	var all []cgroupStatus
	out := mustPoolctl(t, nil, "status", "--json", name)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		t.Fatalf("poolctl status --json %s: %v:\n%s", name, err, out)
	}
	return all[0]
}

// unifiedCgroup is the cgroup2 path of process pid ("self" for the test).
func unifiedCgroup(t *testing.T, pid string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

// Not under a systemd unit that delegates its cgroup, as here, the default
// (auto) falls back to process groups and /proc, and status says why.
func TestWorkerCgroupsFallBack(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1", "--name", name}, helper: "serve"})
	p.waitReady()
	st := cgroupStatusOf(t, name)
	if strings.HasPrefix(st.Pool.WorkerCgroups, "per worker (delegated") {
		t.Skipf("the tests run in a delegated cgroup: %s", st.Pool.WorkerCgroups)
	}
	if !regexp.MustCompile(`^none: .+; memory read from /proc$`).MatchString(st.Pool.WorkerCgroups) {
		t.Errorf("worker_cgroups %q, want none and why", st.Pool.WorkerCgroups)
	}
	p.waitSeen(`INF worker cgroups .*mode="none: `, bound)
	out := mustPoolctl(t, nil, "status", name)
	if !strings.Contains(out, "\n    Cgroups: none: ") {
		t.Errorf("poolctl status has no Cgroups line:\n%s", out)
	}
}

// --worker-memory-max is a hard limit: where poold cannot enforce it, it
// refuses to start rather than run without it.
func TestWorkerMemoryMaxNeedsCgroups(t *testing.T) {
	t.Parallel()
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1", "--worker-memory-max", "256M"}, helper: "serve"})
	if code := p.wait(bound); code != 1 {
		t.Skipf("poold started (exit %d): the tests run in a delegated cgroup with the memory controller", code)
	}
	p.waitSeen(`poold cannot start .*--worker-memory-max 256 MiB needs (per-worker cgroups|the memory controller)`, bound)
}

// hostCgroup makes a cgroup of the test's own on the host's cgroup2
// hierarchy, removed (what is in it killed) when the test ends. Register it
// before start, so that it is removed after poold stopped.
func hostCgroup(t *testing.T) (dir, cgPath string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mi), "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "/" || !strings.Contains(line, " - cgroup2 ") {
			continue
		}
		cgPath = fmt.Sprintf("/poold-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
		dir = filepath.Join(f[4], cgPath)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Skipf("cannot make a cgroup: %v", err)
		}
		t.Cleanup(func() { removeCgroupTree(dir) })
		return dir, cgPath
	}
	t.Skip("no cgroup2 hierarchy")
	return "", ""
}

func removeCgroupTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeCgroupTree(filepath.Join(dir, e.Name()))
		}
	}
	os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
	for deadline := time.Now().Add(bound); os.Remove(dir) != nil && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the killed processes are exiting
	}
}

// pidfdOf opens a pidfd of a process that is not the test's child.
func pidfdOf(t *testing.T, pid int) int {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd of %d: %v", pid, err)
	}
	t.Cleanup(func() { unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); unix.Close(fd) })
	return fd
}

// waitGone waits until the process of pidfd has exited.
func waitGone(t *testing.T, pidfd int, what string) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(bound)
	for {
		n, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
		switch {
		case err == unix.EINTR && time.Now().Before(deadline): // the Go runtime's preemption signals
			continue
		case err != nil:
			t.Fatalf("%s: poll its pidfd: %v", what, err)
		case n != 1:
			t.Fatalf("%s still runs after %v", what, bound)
		}
		return
	}
}

// escapingPool runs poold (bin, or pooldBin when "") in the cgroup at dir
// with --worker-cgroups on and 2 escape-serve workers, and returns the
// PIDs of their escapees, by slot.
func escapingPool(t *testing.T, dir, name, bin string) (*pool, map[string]int) {
	t.Helper()
	p := start(t, spec{
		bin:    bin,
		args:   []string{"--listen", "127.0.0.1:0", "--workers", "2", "--name", name, "--worker-cgroups", "on"},
		helper: "escape-serve",
		wrap:   []string{"sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir},
	})
	escaped := map[string]int{}
	for range 2 {
		_, m := p.waitLog(`(?:^|\] )e2e-helper: escaped pid=(\d+) slot=(\d+)$`, bound)
		escaped[m[2]] = atoi(t, m[1])
	}
	return p, escaped
}

// With --worker-cgroups on, in a cgroup made for it (as a container's
// runtime would), poold moves into supervisor, each worker runs in a
// cgroup of its own, and a child that left the worker's process group
// dies with the worker, whether it was killed or recycled.
func TestWorkerCgroupsOnTakeTheTree(t *testing.T) {
	t.Parallel()
	dir, cgPath := hostCgroup(t)
	name := uniqueName(t)
	p, escaped := escapingPool(t, dir, name, "")
	p.waitSeen(`INF pool ready `, bound)
	st := cgroupStatusOf(t, name)
	t.Logf("worker_cgroups: %s", st.Pool.WorkerCgroups)
	if !strings.HasPrefix(st.Pool.WorkerCgroups, "per worker (--worker-cgroups=on") {
		t.Errorf("worker_cgroups %q, want per worker", st.Pool.WorkerCgroups)
	}
	if got := unifiedCgroup(t, itoa(st.Pool.MainPID)); got != cgPath+"/supervisor" {
		t.Errorf("poold is in %s, want %s/supervisor", got, cgPath)
	}
	workerCgroup := regexp.MustCompile("^" + regexp.QuoteMeta(cgPath) + `/worker-(\d+)-\d+$`)
	cgroups := map[int]string{} // by slot
	for _, w := range st.Workers {
		cg := unifiedCgroup(t, itoa(w.PID))
		if m := workerCgroup.FindStringSubmatch(cg); m == nil || m[1] != itoa(w.Slot) {
			t.Errorf("worker %d of slot %d is in %s, want %s/worker-%d-ID", w.PID, w.Slot, cg, cgPath, w.Slot)
		}
		if got := unifiedCgroup(t, itoa(escaped[itoa(w.Slot)])); got != cg {
			t.Errorf("the escapee of slot %d is in %s, want its worker's %s", w.Slot, got, cg)
		}
		cgroups[w.Slot] = cg
	}
	if t.Failed() {
		return
	}

	// Killed behind poold's back: the escapee goes with it, and so does
	// the cgroup.
	gone := pidfdOf(t, escaped["0"])
	if err := syscall.Kill(cgroupStatusOf(t, name).Workers[0].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, gone, "the escapee of the killed worker of slot 0")
	p.waitSeen(`WRN worker exited unexpectedly .*\bslot=0\b`, bound)
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), cgroups[0])); !os.IsNotExist(err) {
		t.Errorf("the killed worker's cgroup %s is still there: %v", cgroups[0], err)
	}

	// Restarted (SIGTERM to its process group, which the escapee left):
	// the escapee goes too.
	gone = pidfdOf(t, escaped["1"])
	mustPoolctl(t, nil, "restart", name, "1")
	waitGone(t, gone, "the escapee of the restarted worker of slot 1")
}

// --worker-cgroups on refuses the root cgroup, whose processes are the
// whole host's.
func TestWorkerCgroupsOnRefusesTheRootCgroup(t *testing.T) {
	t.Parallel()
	if unifiedCgroup(t, "self") != "/" {
		t.Skip("the tests do not run in the root cgroup")
	}
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1", "--worker-cgroups", "on"}, helper: "serve"})
	if code := p.wait(bound); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	p.waitSeen(`poold cannot start .*--worker-cgroups=on: no cgroup for the workers: (poold runs in the root cgroup|cgroup v1)`, bound)
}
