package main

import (
	"cmp"
	"fmt"
	"os"

	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/plural"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/supervisor"
)

// resolveWorkers returns the worker count and the one-line reason poold
// logs at start and shows in status.
func resolveWorkers(c config.Config, limits cgroup.Limits, hostCPUs int) (int, string) {
	if !c.Workers.Auto {
		return c.Workers.N, plural.Of(c.Workers.N, "worker") + " from " + c.Workers.From
	}
	s := cgroup.Size(limits, c.WorkerMemory, hostCPUs)
	if s.Workers > c.MaxWorkers {
		return c.MaxWorkers, fmt.Sprintf("%s; capped at --max-workers %d", s.Reason, c.MaxWorkers)
	}
	return s.Workers, s.Reason
}

// supervisorOptions maps the configuration onto the supervisor's options
// for a resolved worker count. MinReady 0 means all of them. MaxUnavailable
// is capped at workers-1: an explicit count was checked by config.Parse,
// an auto count may come out lower.
func supervisorOptions(c config.Config, workers int) supervisor.Options {
	h := c.Health
	return supervisor.Options{
		Name:         c.Name,
		Workers:      workers,
		MaxWorkers:   c.MaxWorkers,
		MinReady:     cmp.Or(c.MinReady, workers),
		Ready:        c.Ready,
		ReadyDelay:   c.ReadyDelay,
		ReadyTimeout: c.ReadyTimeout,
		StopTimeout:  c.StopTimeout,
		Backoff:      supervisor.Backoff(c.Backoff),
		Health: supervisor.Health{Watchdog: h.Watchdog, Memory: h.Memory, MemoryFor: h.MemoryFor,
			LoopDelay: h.LoopDelay, LoopDelayFor: h.LoopDelayFor, Requests: h.Requests, Age: h.Age},

		MaxUnavailable: max(0, min(c.MaxUnavailable, workers-1)),
	}
}

// ownProcess is what the workers' spec takes from poold's process: its
// environment without systemd's protocol variables, which poold unsets
// once it has taken its sockets, so that a reload's spec does not differ
// by them. A working directory that cannot be read stays "": workers
// inherit it all the same.
func ownProcess() config.Process {
	dir, _ := os.Getwd()
	return config.Process{Environ: proc.Inheritable(os.Environ()), Dir: dir, UID: os.Getuid(), GID: os.Getgid()}
}
