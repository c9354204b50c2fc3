package cgroup

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kernelCgroup makes a cgroup of the test's own on the machine's cgroup2
// hierarchy (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host),
// removed when the test ends; it skips where there is none it may write.
func kernelCgroup(t *testing.T) (dir, cgPath string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	mounts, err := parseMountinfo(string(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if m.fstype != "cgroup2" || m.root != "/" {
			continue
		}
		cgPath = fmt.Sprintf("/poold-test-%d-%d", os.Getpid(), time.Now().UnixNano())
		dir = filepath.Join(m.point, cgPath)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Skipf("cannot make a cgroup on %s: %v", m.point, err)
		}
		t.Cleanup(func() { removeTree(dir) })
		return dir, cgPath
	}
	t.Skip("no cgroup2 hierarchy mounted at its root")
	return "", ""
}

// removeTree removes a cgroup tree depth-first, killing what is left.
func removeTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeTree(filepath.Join(dir, e.Name()))
		}
	}
	removeCgroup(realFS{}, dir)
}

// startIn starts argv with CLONE_INTO_CGROUP into the cgroup fd, in a
// process group of its own, as the spawner starts workers.
func startIn(t *testing.T, fd int, argv ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, UseCgroupFD: true, CgroupFD: fd}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v in a cgroup: %v", argv, err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(out)
}

func cgroupOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := parseProcCgroup(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return pc.unified
}

// On the kernel's own cgroup2 hierarchy: Setup moves "poold" into
// supervisor, a worker starts straight into its cgroup, and Kill takes
// its child that left the worker's process group (setsid) with it.
func TestKernelWorkerCgroup(t *testing.T) {
	dir, cgPath := kernelCgroup(t)
	base, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	poold, _ := startIn(t, int(base.Fd()), "sleep", "1000")
	controllers, _, _ := readValue(filepath.Join(dir, "cgroup.controllers"))
	d := Delegation{Usable: true, Dir: dir, Path: cgPath, Controllers: strings.Fields(controllers)}
	w, err := setup(d, poold.Process.Pid, realFS{}, "/proc", discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := cgroupOf(t, poold.Process.Pid); got != cgPath+"/supervisor" {
		t.Errorf("poold's stand-in is in %s, want %s/supervisor", got, cgPath)
	}

	c, err := w.Create(2, 7, WorkerLimits{})
	if err != nil {
		t.Fatal(err)
	}
	worker, out := startIn(t, c.FD(), "sh", "-c", "setsid sleep 1000 & echo $!; exec sleep 1001")
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	orphan, _ := strconv.Atoi(strings.TrimSpace(line))
	for _, pid := range []int{worker.Process.Pid, orphan} {
		if got := cgroupOf(t, pid); got != cgPath+"/worker-2-7" {
			t.Errorf("pid %d is in %s, want %s/worker-2-7", pid, got, cgPath)
		}
	}
	if _, ok := w.Usage(worker.Process.Pid); !ok {
		t.Error("no usage for the worker")
	}

	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	err = worker.Wait()
	if ws, ok := worker.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Errorf("worker: %v, want killed by SIGKILL", err)
	}
	if err := c.Remove(); err != nil { // only once the orphan is gone too
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "worker-2-7")); !os.IsNotExist(err) {
		t.Errorf("the worker's cgroup is still there: %v", err)
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", orphan)); err == nil && !strings.Contains(string(stat), ") Z ") {
		t.Errorf("the worker's orphan %d still runs: %s", orphan, stat)
	}
}
