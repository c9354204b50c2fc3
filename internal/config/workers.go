package config

import (
	"fmt"

	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/plural"
)

// ResolveWorkers returns the worker count and the one-line reason poold logs
// at start and shows in status.
func (c Config) ResolveWorkers(limits cgroup.Limits, hostCPUs int) (int, string) {
	if !c.Workers.Auto {
		return c.Workers.N, plural.Of(c.Workers.N, "worker") + " from " + c.Workers.From
	}
	s := cgroup.Size(limits, c.WorkerMemory, hostCPUs)
	if s.Workers > c.MaxWorkers {
		return c.MaxWorkers, fmt.Sprintf("%s; capped at --max-workers %d", s.Reason, c.MaxWorkers)
	}
	return s.Workers, s.Reason
}
