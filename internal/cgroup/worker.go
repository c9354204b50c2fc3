package cgroup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/poold/poold/internal/bytesize"
	"golang.org/x/sys/unix"
)

// removeTimeout bounds the wait for a killed cgroup's processes to exit.
const removeTimeout = 5 * time.Second

// Worker is one worker's cgroup; the worker starts in it and everything it
// starts stays in it, so that Kill reaches its whole process tree.
type Worker struct {
	dir, path string
	fd        int // the directory, open for CLONE_INTO_CGROUP; -1 once removed
	memory    bool
	memoryMax int64
	fs        kernfs
}

// FD is the cgroup's directory, for syscall.SysProcAttr.CgroupFD; valid
// until Remove.
func (c *Worker) FD() int { return c.fd }

// Path is the cgroup path, e.g. /system.slice/poold@web.service/worker-0-1.
func (c *Worker) Path() string { return c.path }

// limit writes the memory limits; memory.oom.group makes the OOM killer
// take the worker's whole tree at once rather than one of its processes.
func (c *Worker) limit(l WorkerLimits) error {
	if !c.memory {
		return nil
	}
	err := writeFile(filepath.Join(c.dir, "memory.oom.group"), "1")
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // absent before Linux 4.19
		return err
	}
	for file, v := range map[string]int64{"memory.high": l.MemoryHigh, "memory.max": l.MemoryMax} {
		if v <= 0 {
			continue
		}
		if err := writeFile(filepath.Join(c.dir, file), strconv.FormatInt(v, 10)); err != nil {
			return err
		}
	}
	return nil
}

// Kill sends SIGKILL to every process in the cgroup.
func (c *Worker) Kill() error { return kill(c.dir) }

// OOM reports whether the kernel's OOM killer killed a process of the
// cgroup, and which limit it enforced.
func (c *Worker) OOM() (killed bool, limit string) {
	if !c.memory {
		return false, ""
	}
	ev, ok, err := readParsed(filepath.Join(c.dir, "memory.events"), parseKeyed)
	if err != nil || !ok || ev["oom_kill"] == 0 && ev["oom_group_kill"] == 0 {
		return false, ""
	}
	if ev["max"] > 0 && c.memoryMax > 0 {
		return true, fmt.Sprintf("the worker's memory.max, %s (--worker-memory-max)", bytesize.Format(c.memoryMax))
	}
	return true, "a memory limit above the worker's cgroup (the unit's MemoryMax=, or the host's memory)"
}

// Remove kills what is left in the cgroup, waits until it is empty and
// removes it. Removing a removed cgroup does nothing.
func (c *Worker) Remove() error {
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
	return removeCgroup(c.fs, c.dir)
}

// kill writes cgroup.kill (Linux 5.14); before that it signals each
// process listed, which misses one forked meanwhile.
func kill(dir string) error {
	err := writeFile(filepath.Join(dir, "cgroup.kill"), "1")
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s, ok, err := readValue(filepath.Join(dir, "cgroup.procs"))
	if err != nil || !ok {
		return err
	}
	for _, f := range strings.Fields(s) {
		if pid, err := strconv.Atoi(f); err == nil {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
	return nil
}

func removeCgroup(kfs kernfs, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := kill(dir); err != nil {
		return fmt.Errorf("kill cgroup: %w", err)
	}
	if err := waitEmpty(dir, removeTimeout); err != nil {
		return err
	}
	if err := kfs.rmdir(dir); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	return nil
}

// waitEmpty waits until cgroup.events says "populated 0". The kernel
// wakes poll(2) with POLLPRI when the file changes; it is read first, as
// only a change since the last read counts.
func waitEmpty(dir string, timeout time.Duration) error {
	f, err := os.Open(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return err
	}
	defer f.Close()
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 256)
	for {
		n, err := f.ReadAt(buf, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if !strings.Contains(string(buf[:n]), "populated 1") {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%s: processes left %v after SIGKILL", dir, timeout)
		}
		fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLPRI}}
		if _, err := unix.Poll(fds, int(left/time.Millisecond)+1); err != nil && !errors.Is(err, unix.EINTR) {
			return os.NewSyscallError("poll", err)
		}
	}
}
