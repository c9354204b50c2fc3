package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// SupervisorCgroup is the child of poold's cgroup that poold moves itself
// into, systemd's convention for a delegated unit's manager process: a
// cgroup that enables controllers for its children may hold no process.
const SupervisorCgroup = "supervisor"

// workerPrefix starts the name of each worker's cgroup,
// worker-SLOT-ID, beside SupervisorCgroup.
const workerPrefix = "worker-"

// wanted are the controllers poold enables for its workers, when offered.
var wanted = []string{"memory", "cpu", "pids"}

// WorkerLimits are written into a worker's cgroup when the memory
// controller is enabled; 0 leaves the kernel's default, max. Each worker
// gets its generation's, so a reload can change them.
type WorkerLimits struct {
	// MemoryHigh is memory.high (--recycle-memory): above it the kernel
	// reclaims and throttles the worker, and poold recycles it.
	MemoryHigh int64
	// MemoryMax is memory.max (--worker-memory-max): above it the kernel's
	// OOM killer kills the worker's whole process tree.
	MemoryMax int64
}

// Workers makes and removes the workers' cgroups below poold's own:
//
//	<poold's cgroup>/supervisor       poold (and what it runs itself)
//	<poold's cgroup>/worker-SLOT-ID   one per worker, its whole process tree
type Workers struct {
	dir, path string
	delegated bool
	enabled   []string // controllers enabled for the children, in wanted's order
	proc      string   // the /proc that Usage reads workers' cgroups from
	fs        kernfs
}

// kernfs makes and removes cgroup directories. Tests replace it with a
// fake that makes a plain directory holding the files the kernel would.
type kernfs interface {
	mkdir(dir string) error
	rmdir(dir string) error
}

type realFS struct{}

func (realFS) mkdir(dir string) error { return os.Mkdir(dir, 0o755) }
func (realFS) rmdir(dir string) error { return os.Remove(dir) }

// Setup moves poold into the supervisor cgroup, removes worker cgroups an
// earlier poold left in d, and enables the memory, cpu and pids controllers
// (those d offers) for the workers' cgroups.
func Setup(d Delegation, log *slog.Logger) (*Workers, error) {
	return setup(d, os.Getpid(), realFS{}, "/proc", log)
}

func setup(d Delegation, pid int, kfs kernfs, proc string, log *slog.Logger) (*Workers, error) {
	return setupKeeping(d, pid, kfs, proc, log, nil)
}

// setupKeeping is setup whose sweep spares the worker cgroups in keep.
func setupKeeping(d Delegation, pid int, kfs kernfs, proc string, log *slog.Logger, keep map[string]bool) (*Workers, error) {
	if !d.Usable {
		return nil, errors.New(d.Reason)
	}
	w := &Workers{dir: d.Dir, path: d.Path, delegated: d.Delegated, proc: proc, fs: kfs}
	sup := filepath.Join(d.Dir, SupervisorCgroup)
	if err := kfs.mkdir(sup); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	if err := writeFile(filepath.Join(sup, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
		return nil, fmt.Errorf("move poold into its cgroup: %w", err)
	}
	w.sweep(log, keep)
	w.enable(d.Controllers, log)
	return w, nil
}

// sweep removes the worker cgroups of an earlier poold, killing what is
// still in them.
func (w *Workers) sweep(log *slog.Logger, keep map[string]bool) {
	entries, _ := os.ReadDir(w.dir)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), workerPrefix) || keep[e.Name()] {
			continue
		}
		cg := path.Join(w.path, e.Name())
		if err := removeCgroup(w.fs, filepath.Join(w.dir, e.Name())); err != nil {
			log.Warn("cannot remove the cgroup of a worker of an earlier poold", "cgroup", cg, "err", err)
			continue
		}
		log.Warn("removed the cgroup of a worker of an earlier poold", "cgroup", cg)
	}
}

// enable turns on the wanted controllers for the children, one at a time
// so that one the kernel refuses does not take the others with it.
func (w *Workers) enable(offered []string, log *slog.Logger) {
	file := filepath.Join(w.dir, "cgroup.subtree_control")
	s, _, _ := readValue(file)
	already := strings.Fields(s)
	for _, c := range wanted {
		if !slices.Contains(offered, c) {
			continue
		}
		if !slices.Contains(already, c) {
			if err := writeFile(file, "+"+c); err != nil {
				// EBUSY: a process other than poold is still in the cgroup.
				log.Warn("cgroup controller not enabled for the workers", "controller", c, "cgroup", w.path, "err", err)
				continue
			}
		}
		w.enabled = append(w.enabled, c)
	}
}

// HasMemory reports whether the workers' cgroups have the memory
// controller: memory.current, memory.high, memory.max, memory.events.
func (w *Workers) HasMemory() bool { return slices.Contains(w.enabled, "memory") }

// Describe is the one-line summary for poold's status, e.g. "per worker
// (delegated: memory, cpu, pids)".
func (w *Workers) Describe() string {
	how := "delegated"
	if !w.delegated {
		how = "--worker-cgroups=on"
	}
	if len(w.enabled) == 0 {
		return fmt.Sprintf("per worker (%s; no controllers: memory read from /proc)", how)
	}
	s := fmt.Sprintf("per worker (%s: %s", how, strings.Join(w.enabled, ", "))
	if !w.HasMemory() {
		s += "; memory read from /proc"
	}
	return s + ")"
}

// Path is poold's cgroup path, e.g. /system.slice/poold@web.service.
func (w *Workers) Path() string { return w.path }

// Create makes the cgroup of worker id of slot, with the memory limits,
// and opens it for CLONE_INTO_CGROUP.
func (w *Workers) Create(slot int, id uint64, limits WorkerLimits) (*Worker, error) {
	name := WorkerName(slot, id)
	dir := filepath.Join(w.dir, name)
	err := w.fs.mkdir(dir)
	if errors.Is(err, fs.ErrExist) { // left by an earlier poold
		if err = removeCgroup(w.fs, dir); err == nil {
			err = w.fs.mkdir(dir)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	c := &Worker{dir: dir, path: path.Join(w.path, name), fd: -1, memory: w.HasMemory(), memoryMax: limits.MemoryMax, fs: w.fs}
	if err := c.limit(limits); err != nil {
		return nil, errors.Join(err, c.Remove())
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Join(&fs.PathError{Op: "open", Path: dir, Err: err}, c.Remove())
	}
	c.fd = fd
	return c, nil
}

// Usage is what a worker's whole process tree used, from its cgroup.
type Usage struct {
	// Memory is memory.current: anonymous memory, page cache and kernel
	// memory charged to the cgroup. 0 unless HasMemory.
	Memory    uint64
	HasMemory bool
	// Swap is memory.swap.current, what the kernel swapped out of it (to
	// keep it under memory.high, say); 0 without swap accounting.
	Swap uint64
	CPU  time.Duration // cpu.stat usage_usec
}

// Usage reads the cgroup process pid is in, if that is a worker's cgroup.
func (w *Workers) Usage(pid int) (Usage, bool) {
	pc, ok, err := readParsed(filepath.Join(w.proc, strconv.Itoa(pid), "cgroup"), parseProcCgroup)
	if err != nil || !ok || path.Dir(pc.unified) != w.path || !strings.HasPrefix(path.Base(pc.unified), workerPrefix) {
		return Usage{}, false
	}
	dir := filepath.Join(w.dir, path.Base(pc.unified))
	stat, ok, err := readParsed(filepath.Join(dir, "cpu.stat"), parseKeyed)
	if err != nil || !ok {
		return Usage{}, false
	}
	u := Usage{CPU: time.Duration(stat["usage_usec"]) * time.Microsecond}
	if w.HasMemory() {
		u.Memory, u.HasMemory, err = readParsed(filepath.Join(dir, "memory.current"), parseUint)
		if err != nil {
			return Usage{}, false
		}
		u.Swap, _, _ = readParsed(filepath.Join(dir, "memory.swap.current"), parseUint)
	}
	return u, true
}

// writeFile writes s to an existing cgroup file in one write, as the
// kernel wants (one PID, one controller, one limit per write).
func writeFile(file, s string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	return errors.Join(err, f.Close())
}

// parseKeyed parses "key value" lines (cpu.stat, memory.events).
func parseKeyed(s string) (map[string]uint64, error) {
	m := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("got %q, want KEY COUNT", line)
		}
		m[k] = n
	}
	return m, nil
}

func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }
