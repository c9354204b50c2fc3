package proc

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// TrampolineArg0 is the argv[0] with which poold re-executes itself to become
// a worker.
const TrampolineArg0 = "poold-worker-exec"

// exitNotFound and exitNotExecutable follow the shell's convention;
// exitOrphaned is 128+SIGKILL, as if the death signal had come.
const (
	exitNotFound      = 127
	exitNotExecutable = 126
	exitOrphaned      = 128 + 9
)

// MaybeRunTrampoline execs the worker command when this process was started
// as a trampoline, and returns otherwise. Call it first thing in main (and in
// TestMain of tests that spawn workers).
func MaybeRunTrampoline() {
	if len(os.Args) < 2 || os.Args[0] != TrampolineArg0 {
		return
	}
	os.Exit(trampoline(os.Args[1:]))
}

// closeStrayFDs makes every fd past the pool's sockets and the worker's
// channel close on exec: fds
// that poold itself inherited without close-on-exec (from a shell, say) must
// not reach workers. They are not closed here: the Go runtime's own fds
// (its epoll instance) are among them until the exec, and closing those
// under it is fatal ("netpoll failed").
func closeStrayFDs() {
	n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	first := 3 + n
	if os.Getenv("POOLD_CHANNEL_FD") == strconv.Itoa(first) {
		first++
	}
	if unix.CloseRange(uint(first), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	entries, _ := os.ReadDir("/proc/self/fd") // before Linux 5.11: one by one
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
}

// keepDeathSignal sets PR_SET_PDEATHSIG (SIGKILL) on the thread that is
// about to exec the worker. The kernel keeps it per thread: poold set it
// on the thread it forked, but the Go runtime may run this on another one,
// whose exec would leave the worker without it. It reports false when
// poold died before it was set.
func keepDeathSignal() bool {
	runtime.LockOSThread() // the prctl and the exec on one thread
	parent := os.Getppid()
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "poold: worker trampoline: prctl PR_SET_PDEATHSIG: %v\n", err)
	}
	return os.Getppid() == parent
}

// trampoline only returns when exec fails.
func trampoline(argv []string) int {
	if !keepDeathSignal() {
		return exitOrphaned
	}
	closeStrayFDs()
	if os.Getenv("LISTEN_FDS") != "" {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	if os.Getenv("WATCHDOG_USEC") != "" { // sd_watchdog_enabled() checks it, as LISTEN_PID
		os.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "poold: worker command %q: %v\n", argv[0], err)
		return exitNotFound
	}
	err = syscall.Exec(path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "poold: exec worker %s: %v\n", path, err)
	return exitNotExecutable
}
