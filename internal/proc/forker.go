package proc

import (
	"runtime"
	"sync"
)

// forker is the one goroutine that forks every worker, locked to its OS
// thread for poold's lifetime. Workers get PR_SET_PDEATHSIG (SIGKILL) so
// that they die with poold however it dies (SIGKILL, the OOM killer), but
// the kernel sends it when the thread that forked them exits, not poold
// (golang/go#27505): a goroutine that exits while locked to its thread
// takes the thread down, and a fork from any pooled thread could be such
// a goroutine's. This thread never exits while poold runs, so it has no
// stop: its end is poold's.
var forker struct {
	once sync.Once
	jobs chan func()
}

// onForkThread runs start on the forker's thread and returns once it has.
func onForkThread(start func()) {
	forker.once.Do(func() {
		forker.jobs = make(chan func())
		go runForker(forker.jobs)
	})
	done := make(chan struct{})
	forker.jobs <- func() { defer close(done); start() }
	<-done
}

func runForker(jobs <-chan func()) {
	runtime.LockOSThread() // never unlocked
	for job := range jobs {
		job()
	}
}
