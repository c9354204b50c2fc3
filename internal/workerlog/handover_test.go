package workerlog

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A worker's output pipes handed over go on in the Output that adopts
// them: what the worker writes before the freeze reaches the old sink,
// what it writes after reaches the new one, and its end ends the pipes.
func TestFrozenPipesGoOnInTheAdopter(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	oldSink, newSink := newFakeSink(), newFakeSink()
	old := NewOutput(oldSink, nil, quiet)
	// SIGUSR1 makes it write again, and exit.
	cmd, p := startWorker(t, old, 1, `trap 'echo after; echo err after >&2; exit 0' USR1; echo before; sleep 1000 & wait`)
	pid := cmd.Process.Pid
	oldSink.waitFor(t, fmt.Sprintf("1 %d stdout before", pid))
	stdout, stderr := p.Freeze()
	if stdout < 0 || stderr < 0 {
		t.Fatalf("Freeze = %d, %d; want both pipes open", stdout, stderr)
	}
	if err := old.Close(context.Background()); err != nil {
		t.Fatalf("Close of the frozen Output: %v", err)
	}
	// As the exec leaves them to the next poold: the same pipes, open in
	// no poller. Here, copies, and the frozen files closed.
	stdout, stderr = dup(t, stdout), dup(t, stderr)
	p.Close()
	adopter := NewOutput(newSink, nil, quiet)
	q := adopter.Adopt(stdout, stderr, Worker{Pool: "t", Slot: 1, Generation: 1, ID: 2, PID: pid})
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	newSink.waitFor(t, fmt.Sprintf("1 %d stdout after", pid))
	newSink.waitFor(t, fmt.Sprintf("1 %d stderr err after", pid))
	cmd.Wait()
	syscall.Kill(-pid, syscall.SIGKILL) // the sleep holds the pipes too
	if !q.Wait(bound) {
		t.Fatal("the adopted streams did not end with the worker")
	}
	if got := oldSink.all(); len(got) != 1 {
		t.Errorf("the old sink got %q, want the line before the freeze only", got)
	}
}

func dup(t *testing.T, fd int) int {
	t.Helper()
	d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
