package proc

import (
	"runtime"
	"sync"
	"syscall"

	"github.com/poold/poold/internal/handoff"
)

// forker is the one thread that forks every worker, for poold's lifetime.
// Workers get PR_SET_PDEATHSIG (SIGKILL) so that they die with poold
// however it dies (SIGKILL, the OOM killer), but the kernel sends it when
// the thread that forked them exits, not poold (golang/go#27505): a
// goroutine that exits while locked to its thread takes the thread down,
// and a fork from any pooled thread could be such a goroutine's. This
// thread never exits while poold runs, so it has no stop: its end is
// poold's.
//
// It is also the thread that execs poold's binary for an upgrade in place
// (Exec): execve ends every other thread, which would fire the death
// signal of the workers they forked. So that it is the same thread in the
// poold that follows, it is the main thread (ServeForks): execve leaves
// the process one thread, the one that called it, which the new Go
// runtime starts on as its main thread.
var forker struct {
	once sync.Once
	jobs chan func()
}

// ServeForks runs main in a goroutine and the fork jobs on the calling
// thread, which must be the main thread, locked to the main goroutine (a
// LockOSThread in package main's init). It never returns: main ends the
// process.
func ServeForks(main func()) {
	forker.once.Do(func() { forker.jobs = make(chan func()) })
	go main()
	for job := range forker.jobs {
		job()
	}
}

// onForkThread runs start on the forker's thread and returns once it has.
// Without ServeForks (tests), the forker is a locked thread of its own.
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

// Exec replaces poold with the program at path, from the forker's thread,
// so that every worker survives it, keeping fds open across it. It
// returns only when execve fails, with fds close-on-exec again. No fork
// may run meanwhile: a child would inherit fds.
func Exec(path string, argv, env []string, fds []int) error {
	var err error
	onForkThread(func() {
		syscall.ForkLock.Lock()
		defer syscall.ForkLock.Unlock()
		if err = handoff.Inherit(fds); err != nil {
			return
		}
		err = syscall.Exec(path, argv, env)
		handoff.Disinherit(fds)
	})
	return err
}
