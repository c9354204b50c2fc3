package supervisor

import (
	"fmt"
	"syscall"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/notify"
)

// WorkerID identifies one worker process for its whole life; a replacement in
// the same slot gets a new ID.
type WorkerID uint64

// Process is a started worker as the loop sees it.
type Process interface {
	PID() int
	// Signal signals the worker's whole process group.
	Signal(sig syscall.Signal) error
}

// SpawnRequest says which worker to start.
type SpawnRequest struct {
	ID         WorkerID
	Slot       int
	Generation int
	// Spec is what the worker is made from: its generation's. The spawner
	// must not modify it.
	Spec config.WorkerSpec
	// ProbeListening asks the spawner to post Listening once the worker
	// waits for connections on a pool socket.
	ProbeListening bool
}

// Spawner starts worker processes. It reports what happens to them by posting
// Exited, Notified and Listening events to the sink; Exited is posted exactly
// once per successfully started worker.
type Spawner interface {
	Spawn(req SpawnRequest, sink Sink) (Process, error)
}

// Sink receives events about workers from other goroutines.
type Sink interface {
	Post(event WorkerEvent)
}

// Exited reports that a worker's process has been reaped.
type Exited struct {
	ID     WorkerID
	Status ExitStatus
	// Output is the worker's last lines on stderr, when poold read them
	// (see workerlog.Tail); nil otherwise.
	Output []string
}

// Notified carries one datagram a worker sent to its notify socket.
type Notified struct {
	ID       WorkerID
	Datagram notify.Datagram
}

// Reported carries the metrics a worker sent on its stream channel; they
// count as a heartbeat.
type Reported struct {
	ID      WorkerID
	Metrics channel.Metrics
}

// Listening reports that the probe saw a worker wait on a pool socket.
type Listening struct {
	ID WorkerID
}

// ExitStatus is how a process ended.
type ExitStatus struct {
	Code   int
	Signal syscall.Signal // 0 when it exited on its own
	// OOMKilled is set when the SIGKILL came from the kernel's OOM killer,
	// as the worker's cgroup counted it (per-worker cgroups only).
	OOMKilled bool
}

// Clean reports whether the process exited with code 0.
func (e ExitStatus) Clean() bool { return e.Signal == 0 && e.Code == 0 }

func (e ExitStatus) String() string {
	if e.OOMKilled {
		return fmt.Sprintf("killed by the kernel's OOM killer (signal %d, %s)", int(e.Signal), e.Signal)
	}
	if e.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%s)", int(e.Signal), e.Signal)
	}
	if e.Code == 127 {
		return "exit code 127 (command not found or not executable)"
	}
	return fmt.Sprintf("exit code %d", e.Code)
}
