package proc

import (
	"encoding/binary"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/workerlog"
)

// runningWorker is what the spawner keeps of a worker it watches.
type runningWorker struct {
	id         supervisor.WorkerID
	generation int
	p          *process
	ns         *workerNotify
	pipes      *workerlog.Pipes
}

// runningWorkers are the workers whose exit a goroutine waits for, and
// the freeze that stops those waits for an upgrade.
type runningWorkers struct {
	freeze  int           // an eventfd, readable once frozen
	frozen  chan struct{} // closed once frozen
	once    sync.Once
	waiters sync.WaitGroup // one per watched worker

	mu      sync.Mutex
	workers map[supervisor.WorkerID]*runningWorker
}

func (r *runningWorkers) init() error {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	r.freeze, r.frozen = fd, make(chan struct{})
	r.workers = make(map[supervisor.WorkerID]*runningWorker)
	return nil
}

func (r *runningWorkers) add(w *runningWorker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.workers[w.id] = w
	r.waiters.Add(1)
}

func (r *runningWorkers) remove(id supervisor.WorkerID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.workers, id)
}

// stop ends every wait, and returns the workers still running: those that
// exited meanwhile were reaped and reported.
func (r *runningWorkers) stop() []*runningWorker {
	r.once.Do(func() {
		close(r.frozen)
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(r.freeze, one[:]) // only a full counter fails
	})
	r.waiters.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*runningWorker, 0, len(r.workers))
	for _, w := range r.workers {
		out = append(out, w)
	}
	return out
}
