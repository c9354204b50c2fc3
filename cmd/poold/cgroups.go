package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/poold/poold/internal/bytesize"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/procstat"
)

// workerCgroups are the workers' cgroups, or why they have none.
type workerCgroups struct {
	workers *cgroup.Workers // nil: none; memory and CPU come from /proc
	summary string          // for status, e.g. "per worker (delegated: memory, cpu, pids)"
}

// newWorkerCgroups moves poold into its supervisor cgroup when the workers
// get cgroups of their own. It runs while fx builds the graph, before any
// start hook, so before poold starts a process (a private bus, a worker).
func newWorkerCgroups(cfg config.Config, tk *takeover, log *slog.Logger) (workerCgroups, error) {
	d := cgroup.Detect(cfg.WorkerCgroups)
	reason := d.Reason
	var w *cgroup.Workers
	if d.Usable {
		var err error
		if w, err = tk.cgroups(d, log); err != nil {
			reason = fmt.Sprintf("cannot set up %s: %v", d.Path, err)
		}
	}
	maxSize := bytesize.Format(cfg.WorkerMemoryMax)
	switch {
	case w == nil && cfg.WorkerCgroups == cgroup.ModeOn:
		return workerCgroups{}, fmt.Errorf("--worker-cgroups=on: no cgroup for the workers: %s", reason)
	case w == nil && cfg.WorkerMemoryMax > 0:
		return workerCgroups{}, fmt.Errorf("--worker-memory-max %s needs per-worker cgroups, and there are none: %s", maxSize, reason)
	case w != nil && cfg.WorkerMemoryMax > 0 && !w.HasMemory():
		return workerCgroups{}, fmt.Errorf("--worker-memory-max %s needs the memory controller, and %s does not offer it (cgroup.controllers: %s)",
			maxSize, d.Path, orNone(d.Controllers))
	case w == nil:
		summary := "none: " + reason + "; memory read from /proc"
		log.Info("worker cgroups", "pool", cfg.Name, "mode", summary)
		return workerCgroups{summary: summary}, nil
	}
	log.Info("worker cgroups", "pool", cfg.Name, "cgroup", d.Path, "mode", w.Describe())
	return workerCgroups{workers: w, summary: w.Describe()}, nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, " ")
}

// hasMemory reports whether the workers' cgroups have the memory
// controller, which --worker-memory-max needs.
func (c workerCgroups) hasMemory() bool { return c.workers != nil && c.workers.HasMemory() }

// spawner is what the spawner gets: nil without per-worker cgroups.
func (c workerCgroups) spawner() proc.Cgroups {
	if c.workers == nil {
		return nil
	}
	return procCgroups{c.workers}
}

// procCgroups adapts cgroup.Workers to proc.Cgroups.
type procCgroups struct{ w *cgroup.Workers }

func (c procCgroups) Create(slot int, id uint64, limits proc.MemoryLimits) (proc.Cgroup, error) {
	cg, err := c.w.Create(slot, id, cgroup.WorkerLimits{MemoryHigh: limits.High, MemoryMax: limits.Max})
	if err != nil {
		return nil, err // not a nil *cgroup.Worker in an interface
	}
	return cg, nil
}

func (c procCgroups) Adopt(slot int, id uint64) (proc.Cgroup, error) {
	cg, err := c.w.AdoptWorker(slot, id)
	if err != nil {
		return nil, err
	}
	return cg, nil
}

// memory is the supervisor's MemoryReader: with the memory controller,
// memory.current plus memory.swap.current of the worker's cgroup (with
// --recycle-memory as its memory.high, a worker the kernel keeps under it
// by swapping still counts as above it; page cache it drops does not),
// else the worker's resident memory from /proc.
func (c workerCgroups) memory(pid int) (uint64, error) {
	if c.workers != nil {
		if u, ok := c.workers.Usage(pid); ok && u.HasMemory {
			return u.Memory + u.Swap, nil
		}
	}
	return residentMemory(pid)
}

// residentMemory is a worker's resident memory from /proc: memory's
// fallback without a cgroup for the worker.
func residentMemory(pid int) (uint64, error) {
	s, err := procstat.Read(pid)
	return s.RSS, err
}

// usage is a worker's memory and CPU for the D-Bus API: its cgroup's
// (its whole process tree) where there is one, else its own from /proc;
// 0 for what is unknown.
func (c workerCgroups) usage(pid int) (memory, cpuNSec uint64) {
	var u cgroup.Usage
	ok := false
	if c.workers != nil {
		u, ok = c.workers.Usage(pid)
	}
	if ok && u.HasMemory {
		return u.Memory, uint64(u.CPU.Nanoseconds())
	}
	s, err := procstat.Read(pid)
	switch {
	case ok:
		return s.RSS, uint64(u.CPU.Nanoseconds()) // RSS 0 when gone
	case err != nil:
		return 0, 0
	}
	return s.RSS, uint64(s.CPU.Nanoseconds())
}
