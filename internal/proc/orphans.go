package proc

import (
	"errors"
	"maps"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/procfs"
)

// liveWorkers is the IDs of the workers a Spawner started and has not
// reaped yet; an ID is in it from before its fork on.
type liveWorkers struct {
	mu  sync.Mutex
	ids map[uint64]bool
}

func (l *liveWorkers) add(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		l.ids = make(map[uint64]bool)
	}
	l.ids[id] = true
}

func (l *liveWorkers) remove(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.ids, id)
}

func (l *liveWorkers) has(id uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[id]
}

// killOrphans kills what a worker left behind outside its process group
// (setsid, a daemonizing tool) that keeps the pool's sockets: the
// processes that hold one of inodes and whose environment names a worker
// of this pool that is gone. Without a cgroup per worker nothing else
// finds them, and they would keep accepting on the pool's sockets. poold,
// PID 1 and the processes of live workers are never killed; nor is a
// process that cleared its environment.
func (s *Spawner) killOrphans(inodes map[uint64]bool) {
	self := os.Getpid()
	for _, pid := range procfs.PIDs() {
		if pid == self || pid == 1 {
			continue
		}
		if _, ok := s.orphanOfPool(pid); !ok {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // gone
		}
		// Checked again with the process pinned: its PID may have been
		// reused since.
		if worker, ok := s.orphanOfPool(pid); ok && procfs.HoldsSocket(pid, inodes) {
			s.killOrphan(fd, "pid", pid, "worker", worker, "command", procfs.Cmdline(pid))
		}
		unix.Close(fd)
	}
}

// orphanOfPool returns the worker ID that pid's environment names, if it
// is a worker of this pool that is not live.
func (s *Spawner) orphanOfPool(pid int) (worker string, ok bool) {
	env, ok := procfs.Getenv(pid, "POOLD_POOL", "POOLD_WORKER_ID")
	if !ok || env[0] != s.pool {
		return "", false
	}
	id, err := strconv.ParseUint(env[1], 10, 64)
	return env[1], err == nil && !s.live.has(id)
}

func (s *Spawner) killOrphan(pidfd int, attrs ...any) {
	err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
	case err != nil:
		s.log.Warn("cannot kill an orphan of a worker that holds the pool's sockets", append(attrs, "err", err)...)
	default:
		s.log.Warn("killed an orphan of a worker that held the pool's sockets", attrs...)
	}
}

// poolInodes is the pool's sockets and those of the worker's slot.
func (s *Spawner) poolInodes(worker map[uint64]bool) map[uint64]bool {
	all := maps.Clone(s.inodes)
	maps.Copy(all, worker)
	return all
}
