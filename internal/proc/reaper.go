package proc

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reaper starts worker processes and, when poold is PID 1 of a container,
// reaps orphans that were re-parented to it. It never reaps a PID that a
// worker's own goroutine waits for: Wait4(-1) would steal exit statuses.
type Reaper struct {
	log     *slog.Logger
	mu      sync.Mutex
	managed map[int]bool
}

// NewReaper returns a Reaper with no managed process.
func NewReaper(log *slog.Logger) *Reaper {
	return &Reaper{log: log, managed: make(map[int]bool)}
}

// start starts cmd on the forker's thread (see forker), and records its
// PID under the same lock that reapOrphans holds, so an orphan sweep can
// never see the new child unrecorded.
func (r *Reaper) start(cmd *exec.Cmd) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	onForkThread(func() { err = cmd.Start() })
	if err != nil {
		return err
	}
	r.managed[cmd.Process.Pid] = true
	return nil
}

// adopt records a worker handed over by an upgrade: the orphan reaper
// must leave it to its own wait.
func (r *Reaper) adopt(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.managed[pid] = true
}

func (r *Reaper) forget(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.managed, pid)
}

// ReapOrphans reaps every exited child that poold did not start itself and
// returns how many it reaped.
func (r *Reaper) ReapOrphans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, pid := range children(os.Getpid()) {
		if r.managed[pid] {
			continue
		}
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err == nil && got == pid {
			n++
			r.log.Debug("reaped orphan", "pid", pid, "status", int(ws))
		} else if err != nil && !errors.Is(err, unix.ECHILD) {
			r.log.Warn("reap orphan", "pid", pid, "err", err)
		}
	}
	return n
}

// RunOrphanReaper reaps orphans on every SIGCHLD until ctx ends. Only PID 1
// (or a child subreaper) inherits orphans, so only it needs to run this.
func (r *Reaper) RunOrphanReaper(ctx context.Context) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	for {
		r.ReapOrphans()
		select {
		case <-ctx.Done():
			return
		case <-sigs:
		}
	}
}
