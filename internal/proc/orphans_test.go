package proc

import (
	"fmt"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
)

// Without per-worker cgroups, a child that left its worker's process
// group and keeps the pool's socket is killed once the worker is gone,
// each time; that of a live worker is not.
func TestEscapedChildrenDieWithTheirWorker(t *testing.T) {
	f := newFixture(t, "escape-stay")
	f.spawn(t, 100, 1, false)
	_, bystander := escapee(t, f)
	for id := range supervisor.WorkerID(3) {
		p := f.spawn(t, id+1, 0, false)
		child, pidfd := escapee(t, f)
		if err := p.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if e := next[supervisor.Exited](t, f.sink); e.ID != id+1 {
			t.Fatalf("worker %d exited, want %d", e.ID, id+1)
		}
		exited(t, pidfd, fmt.Sprintf("the escaped child %d of worker %d", child, id+1))
	}
	fds := []unix.PollFd{{Fd: int32(bystander), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n != 0 {
		t.Error("the escaped child of a live worker was killed")
	}
	unix.PidfdSendSignal(bystander, unix.SIGKILL, nil, 0)
}

// The scan after each worker's exit reads every process's environment:
// its cost grows with the number of processes on the host.
func BenchmarkOrphanScan(b *testing.B) {
	s := &Spawner{pool: "bench-no-such-pool"}
	for b.Loop() {
		s.killOrphans(map[uint64]bool{})
	}
}
