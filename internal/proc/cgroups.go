package proc

import (
	"fmt"
	"os/exec"
	"syscall"

	"github.com/poold/poold/internal/supervisor"
)

// Cgroups gives each worker a cgroup of its own (internal/cgroup's
// Workers, when systemd delegated poold's cgroup).
type Cgroups interface {
	// Create makes the cgroup of worker id of slot, with limits.
	Create(slot int, id uint64, limits MemoryLimits) (Cgroup, error)
	// Adopt opens the cgroup that the poold before an upgrade in place
	// made for worker id of slot.
	Adopt(slot int, id uint64) (Cgroup, error)
}

// MemoryLimits are a worker cgroup's memory.high and memory.max, from its
// generation's spec; 0 for the kernel's default, max.
type MemoryLimits struct {
	High, Max int64
}

// Cgroup is one worker's cgroup: the worker is started straight into it
// (CLONE_INTO_CGROUP), so everything it starts is in it too.
type Cgroup interface {
	FD() int      // the cgroup's directory, for SysProcAttr.CgroupFD
	Path() string // e.g. /system.slice/poold@web.service/worker-0-1
	Kill() error  // SIGKILL to every process in it
	// OOM reports whether the kernel's OOM killer killed a process in it,
	// and which limit it enforced.
	OOM() (killed bool, limit string)
	// Remove kills what is left, waits until it is empty and removes it.
	Remove() error
}

// start starts cmd through the reaper, in a cgroup of its own when the
// spawner has Cgroups; nil Cgroup otherwise.
func (s *Spawner) start(cmd *exec.Cmd, req supervisor.SpawnRequest) (Cgroup, error) {
	if s.cgroups == nil {
		return nil, s.reaper.start(cmd)
	}
	cg, err := s.cgroups.Create(req.Slot, uint64(req.ID), MemoryLimits{High: req.Spec.MemoryHigh, Max: req.Spec.MemoryMax})
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, cg.FD()
	if err := s.reaper.start(cmd); err != nil {
		if rerr := cg.Remove(); rerr != nil {
			s.log.Warn("worker cgroup left behind", "slot", req.Slot, "cgroup", cg.Path(), "err", rerr)
		}
		return nil, err
	}
	return cg, nil
}

// settle attributes a reaped worker's death to the OOM killer when its
// cgroup says so, and removes the cgroup.
func (s *Spawner) settle(p *process, status *supervisor.ExitStatus) {
	if p.cgroup == nil {
		return
	}
	if killed, limit := p.cgroup.OOM(); killed {
		attrs := []any{"slot", p.slot, "pid", p.pid, "cgroup", p.cgroup.Path(), "limit", limit}
		if status.Signal == syscall.SIGKILL {
			status.OOMKilled = true
			s.log.Warn("worker killed by the kernel's OOM killer", attrs...)
		} else {
			s.log.Warn("the kernel's OOM killer killed a process of the worker", append(attrs, "status", status.String())...)
		}
	}
	if err := p.cgroup.Remove(); err != nil {
		s.log.Warn("worker cgroup left behind", "slot", p.slot, "cgroup", p.cgroup.Path(), "err", err)
	}
}
