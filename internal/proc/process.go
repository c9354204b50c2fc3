package proc

import (
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
)

// process is a started worker; it implements supervisor.Process.
type process struct {
	cmd    *exec.Cmd
	pid    int
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
		err = p.cmd.Process.Signal(sig)
		if errors.Is(err, os.ErrProcessDone) {
			err = nil // exited since: the group kill does the rest
		}
	}
	if gerr := unix.Kill(-p.pid, sig); gerr != nil && !errors.Is(gerr, unix.ESRCH) && err == nil {
		err = os.NewSyscallError("kill", gerr)
	}
	return err
}

// waitAndReap waits for the leader to exit without reaping it, kills what is
// left of its process group while the PGID is still pinned by the zombie
// leader, and of its cgroup, then reaps it.
func (p *process) waitAndReap() supervisor.ExitStatus {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	p.mu.Lock()
	_ = unix.Kill(-p.pid, syscall.SIGKILL) // ESRCH when the leader was alone
	if p.cgroup != nil {
		_ = p.cgroup.Kill() // settle reports a failure when it cannot remove the cgroup
	}
	p.reaped = true
	p.mu.Unlock()
	_ = p.cmd.Wait() // a non-zero exit is an error here; the state says it all
	return exitStatus(p.cmd.ProcessState)
}

func exitStatus(ps *os.ProcessState) supervisor.ExitStatus {
	if ps == nil { // reaped by someone else: nothing is known
		return supervisor.ExitStatus{Code: -1}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return supervisor.ExitStatus{Signal: ws.Signal()}
	}
	return supervisor.ExitStatus{Code: ps.ExitCode()}
}
