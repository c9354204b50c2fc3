package cgroup

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeKernfs makes plain directories holding the files the kernel puts in
// a new cgroup, with the memory controller's when memory is set.
type fakeKernfs struct{ memory bool }

func (f fakeKernfs) mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"cgroup.procs": "", "cgroup.kill": "", "cgroup.subtree_control": "", "cgroup.controllers": "",
		"cgroup.events": "populated 0\nfrozen 0\n", "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
	}
	if f.memory {
		files["memory.current"] = "1048576\n"
		files["memory.high"], files["memory.max"], files["memory.oom.group"] = "max\n", "max\n", "0\n"
		files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (fakeKernfs) rmdir(dir string) error { return os.RemoveAll(dir) }

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeDelegation is a delegated service cgroup in a temp dir, made by kfs.
func fakeDelegation(t *testing.T, kfs fakeKernfs, controllers string) Delegation {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sys/fs/cgroup/system.slice/web.service")
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := kfs.mkdir(dir); err != nil {
		t.Fatal(err)
	}
	return Delegation{Usable: true, Delegated: true, Dir: dir, Path: "/system.slice/web.service", Controllers: strings.Fields(controllers)}
}

func read(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestSetup(t *testing.T) {
	tests := []struct {
		controllers string
		on          bool
		want        string // Describe
	}{
		{"cpuset cpu io memory pids", false, "per worker (delegated: memory, cpu, pids)"},
		{"", false, "per worker (delegated; no controllers: memory read from /proc)"},
		{"cpu pids", true, "per worker (--worker-cgroups=on: cpu, pids; memory read from /proc)"},
	}
	for _, tt := range tests {
		kfs := fakeKernfs{memory: strings.Contains(tt.controllers, "memory")}
		d := fakeDelegation(t, kfs, tt.controllers)
		d.Delegated = !tt.on
		if err := kfs.mkdir(filepath.Join(d.Dir, "worker-3-17")); err != nil { // an earlier poold's
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(d.Dir, ".control"), 0o755); err != nil { // systemd's
			t.Fatal(err)
		}
		w, err := setup(d, 4242, kfs, "/proc", discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Describe(); got != tt.want {
			t.Errorf("controllers %q: Describe() = %q, want %q", tt.controllers, got, tt.want)
		}
		if got := read(t, filepath.Join(d.Dir, "supervisor/cgroup.procs")); got != "4242" {
			t.Errorf("supervisor/cgroup.procs = %q, want poold's PID", got)
		}
		if _, err := os.Stat(filepath.Join(d.Dir, "worker-3-17")); !os.IsNotExist(err) {
			t.Errorf("the stale worker cgroup is still there: %v", err)
		}
		if _, err := os.Stat(filepath.Join(d.Dir, ".control")); err != nil {
			t.Errorf("systemd's .control was removed: %v", err)
		}
		if got := read(t, filepath.Join(d.Dir, "worker-3-17/../cgroup.subtree_control")); tt.controllers != "" && !strings.HasPrefix(got, "+") {
			t.Errorf("cgroup.subtree_control = %q, want the last controller enabled", got)
		}
	}
}

func TestSetupUnusable(t *testing.T) {
	_, err := setup(Delegation{Reason: "cgroup v1"}, 1, fakeKernfs{}, "/proc", discard)
	if err == nil || err.Error() != "cgroup v1" {
		t.Errorf("got %v, want the reason", err)
	}
}

func TestWorkerCgroup(t *testing.T) {
	kfs := fakeKernfs{memory: true}
	d := fakeDelegation(t, kfs, "cpu memory pids")
	proc := t.TempDir()
	w, err := setup(d, 4242, kfs, proc, discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Create(1, 9, WorkerLimits{MemoryHigh: 200 << 20, MemoryMax: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(d.Dir, "worker-1-9")
	if c.Path() != "/system.slice/web.service/worker-1-9" || c.FD() < 0 {
		t.Errorf("Path() = %q, FD() = %d", c.Path(), c.FD())
	}
	for file, want := range map[string]string{"memory.high": "209715200", "memory.max": "268435456", "memory.oom.group": "1"} {
		if got := read(t, filepath.Join(dir, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}

	// Usage reads the cgroup a PID is in, if it is a worker's.
	for pid, cg := range map[string]string{"100": "/system.slice/web.service/worker-1-9", "101": "/system.slice/web.service/supervisor", "102": "/user.slice"} {
		if err := os.MkdirAll(filepath.Join(proc, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(proc, pid, "cgroup"), []byte("0::"+cg+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if u, ok := w.Usage(100); !ok || u != (Usage{Memory: 1 << 20, HasMemory: true, CPU: 1500 * time.Microsecond}) {
		t.Errorf("Usage(worker) = %+v, %v", u, ok)
	}
	write(t, dir, "memory.swap.current", "4096\n")
	if u, ok := w.Usage(100); !ok || u.Swap != 4096 {
		t.Errorf("Usage(worker) with swap = %+v, %v", u, ok)
	}
	for _, pid := range []int{101, 102, 103} {
		if u, ok := w.Usage(pid); ok {
			t.Errorf("Usage(%d) = %+v, want none: not a worker's cgroup", pid, u)
		}
	}

	if killed, _ := c.OOM(); killed {
		t.Error("OOM() before any kill")
	}
	write(t, dir, "memory.events", "low 0\nhigh 12\nmax 40\noom 1\noom_kill 1\noom_group_kill 1\n")
	if killed, limit := c.OOM(); !killed || limit != "the worker's memory.max, 256 MiB (--worker-memory-max)" {
		t.Errorf("OOM() = %v, %q", killed, limit)
	}
	write(t, dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\n")
	if killed, limit := c.OOM(); !killed || !strings.Contains(limit, "above the worker's cgroup") {
		t.Errorf("OOM() for a limit above = %v, %q", killed, limit)
	}

	if err := c.Kill(); err != nil || read(t, filepath.Join(dir, "cgroup.kill")) != "1" {
		t.Errorf("Kill(): %v, cgroup.kill %q", err, read(t, filepath.Join(dir, "cgroup.kill")))
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) || c.FD() != -1 {
		t.Errorf("after Remove: %v, FD %d", err, c.FD())
	}
	if err := c.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func TestCreateWithoutMemory(t *testing.T) {
	kfs := fakeKernfs{}
	w, err := setup(fakeDelegation(t, kfs, "pids"), 1, kfs, "/proc", discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Create(0, 1, WorkerLimits{MemoryHigh: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()
	if killed, _ := c.OOM(); killed || w.HasMemory() {
		t.Error("OOM or memory without the memory controller")
	}
	if _, err := os.Stat(filepath.Join(w.dir, "worker-0-1/memory.high")); !os.IsNotExist(err) {
		t.Errorf("memory.high written without the controller: %v", err)
	}
}

func TestWaitEmptyTimesOut(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cgroup.events", "populated 1\nfrozen 0\n")
	if err := waitEmpty(dir, 30*time.Millisecond); err == nil || !strings.Contains(err.Error(), "processes left") {
		t.Errorf("got %v, want processes left", err)
	}
}

func TestParseKeyed(t *testing.T) {
	got, err := parseKeyed("usage_usec 12\nnr_periods 0\n\n")
	if err != nil || got["usage_usec"] != 12 || len(got) != 2 {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := parseKeyed("usage_usec many"); err == nil {
		t.Error("no error for a garbled line")
	}
}

// A poold that took the pool over in an upgrade opens a worker's cgroup as
// the poold before it made it, and names its memory.max after an OOM kill.
func TestAdoptWorkerCgroup(t *testing.T) {
	kfs := fakeKernfs{memory: true}
	d := fakeDelegation(t, kfs, "cpu memory pids")
	w, err := setup(d, 4242, kfs, t.TempDir(), discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Create(1, 9, WorkerLimits{MemoryMax: 256 << 20}); err != nil {
		t.Fatal(err)
	}
	after, err := setupKeeping(d, 4242, kfs, t.TempDir(), discard, map[string]bool{WorkerName(1, 9): true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := after.AdoptWorker(1, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()
	if c.Path() != "/system.slice/web.service/worker-1-9" || c.FD() < 0 {
		t.Errorf("Path() = %q, FD() = %d", c.Path(), c.FD())
	}
	write(t, filepath.Join(d.Dir, "worker-1-9"), "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 1\n")
	if killed, limit := c.OOM(); !killed || limit != "the worker's memory.max, 256 MiB (--worker-memory-max)" {
		t.Errorf("OOM() of the adopted cgroup = %v, %q", killed, limit)
	}
	if _, err := after.AdoptWorker(2, 10); err == nil {
		t.Error("AdoptWorker of a cgroup that was never made: no error")
	}
}
