package notify

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Accept turns a sender down before its datagram is parsed and before its
// fds are closed: a sender waiting on a passed pipe (systemd-notify's
// BARRIER=1) is still waiting while Accept looks at it, and released after.
func TestAcceptRefusesSenderBeforeClosingFDs(t *testing.T) {
	s := listen(t, socketPath(t))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pipeOpen := make(chan bool, 1)
	s.Accept(func(pid, uid int) bool {
		pipeOpen <- writeEndOpen(t, r)
		return pid != os.Getpid()
	})
	sendWithFDs(t, s.Path(), "READY=1", int(w.Fd()))
	w.Close()

	d := receive(t, s)
	if !d.Refused || d.Message.Ready || d.Raw != nil || d.Err != nil || d.PID != os.Getpid() || d.FDs != 1 {
		t.Errorf("got %+v; want Refused from pid %d, nothing parsed, 1 fd", d, os.Getpid())
	}
	if !<-pipeOpen {
		t.Error("the passed fd was closed before Accept was asked")
	}
	if writeEndOpen(t, r) {
		t.Error("the passed fd is still open after Receive")
	}
}

// writeEndOpen reports whether the pipe r reads from still has a writer.
func writeEndOpen(t *testing.T, r *os.File) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(r.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n == 0 // POLLHUP once every write end is closed
}

func TestAcceptLetsSenderThrough(t *testing.T) {
	s := listen(t, socketPath(t))
	s.Accept(func(pid, uid int) bool { return pid == os.Getpid() && uid == os.Getuid() })
	if err := Send(s.Path(), "READY=1"); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, s); d.Refused || !d.Message.Ready {
		t.Errorf("got %+v; want READY=1 accepted", d)
	}
}

// A socket whose file was removed and replaced by another socket's leaves
// the new file alone when it closes.
func TestCloseLeavesAReplacementAlone(t *testing.T) {
	path := socketPath(t)
	old := listen(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if old.Bound() {
		t.Error("Bound after its file was removed")
	}
	fresh := listen(t, path)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if !fresh.Bound() {
		t.Fatal("closing the old socket removed the new one's file")
	}
	if err := Send(path, "READY=1"); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, fresh); !d.Message.Ready {
		t.Errorf("got %+v; want READY=1", d.Message)
	}
}
