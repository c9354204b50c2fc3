package proc

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
)

// process is a started or adopted worker; it implements
// supervisor.Process. It is known by its pidfd, which an upgrade hands
// over: a poold that adopts it after exec has no os.Process for it.
type process struct {
	pid    int
	pidfd  int // closed once reaped; handed over, never closed, by Freeze
	slot   int
	cgroup Cgroup          // nil without per-worker cgroups
	inodes map[uint64]bool // the pool sockets it was given
	exited chan struct{}   // closed once reaped

	mu     sync.Mutex
	reaped bool // after this the PID and PGID may belong to someone else
}

func (p *process) PID() int { return p.pid }

// Signal signals the worker and the rest of its process group; SIGKILL
// also reaches every process in its cgroup, those that left the group too.
func (p *process) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return os.ErrProcessDone
	}
	err := p.signalGroup(sig)
	if sig == syscall.SIGKILL && p.cgroup != nil {
		err = errors.Join(err, p.cgroup.Kill())
	}
	return err
}

// signalGroup sends sig once to each process of the worker's group and to
// the leader. A leader still in its group gets it from the group kill
// alone: sending it through the pidfd too delivered it twice (a Go worker
// whose second SIGTERM means "exit now" dropped requests). A leader that
// joined another group gets it through its pidfd (a leader cannot setsid,
// and one changing its group during this call may miss or get a second
// one). The PID and PGID cannot have been reused: the caller holds mu, and
// the leader is not reaped.
func (p *process) signalGroup(sig syscall.Signal) error {
	pgid, err := unix.Getpgid(p.pid)
	if err != nil { // not reaped, the leader exists, a zombie at worst, with its PGID
		return os.NewSyscallError("getpgid", err)
	}
	if pgid != p.pid {
		err = unix.PidfdSendSignal(p.pidfd, sig, nil, 0)
		if errors.Is(err, unix.ESRCH) {
			err = nil // exited since: the group kill does the rest
		} else if err != nil {
			err = os.NewSyscallError("pidfd_send_signal", err)
		}
	}
	if gerr := unix.Kill(-p.pid, sig); gerr != nil && !errors.Is(gerr, unix.ESRCH) && err == nil {
		err = os.NewSyscallError("kill", gerr)
	}
	return err
}

// waitExit waits until the leader exits, without reaping it, or until
// freeze is readable (an upgrade stops the waits: the next poold waits
// for its workers). It reports whether the leader exited; when freeze
// comes too, the leader is left to the next poold, a zombie that it reaps.
func (p *process) waitExit(freeze int) bool {
	fds := []unix.PollFd{{Fd: int32(p.pidfd), Events: unix.POLLIN}, {Fd: int32(freeze), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case fds[1].Revents != 0:
			return false
		case fds[0].Revents != 0 || err != nil:
			return true
		}
	}
}

// reap kills what is left of the exited leader's process group while the
// PGID is still pinned by the zombie leader, and of its cgroup, then reaps
// it and closes its pidfd.
func (p *process) reap() supervisor.ExitStatus {
	p.mu.Lock()
	_ = unix.Kill(-p.pid, syscall.SIGKILL) // ESRCH when the leader was alone
	if p.cgroup != nil {
		_ = p.cgroup.Kill() // settle reports a failure when it cannot remove the cgroup
	}
	p.reaped = true
	p.mu.Unlock()
	// The zombie pins the PID, and only this goroutine reaps it: waiting
	// for it by PID cannot take another process's status.
	var ws unix.WaitStatus
	var err error
	for {
		_, err = unix.Wait4(p.pid, &ws, 0, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	unix.Close(p.pidfd)
	if err != nil { // reaped by someone else: nothing is known
		return supervisor.ExitStatus{Code: -1}
	}
	return exitStatus(ws)
}

func exitStatus(ws unix.WaitStatus) supervisor.ExitStatus {
	if ws.Signaled() {
		return supervisor.ExitStatus{Signal: ws.Signal()}
	}
	return supervisor.ExitStatus{Code: ws.ExitStatus()}
}
