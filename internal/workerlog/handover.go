package workerlog

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/handoff"
)

// Freeze ends both readers without closing the pipes and returns the fds
// of their read ends, for the poold that follows an upgrade in place
// (Adopt); -1 for a stream that had ended. A line the worker was writing
// is passed on in two pieces, one by each poold. Nil Pipes give -1, -1.
func (p *Pipes) Freeze() (stdout, stderr int) {
	if p == nil {
		return -1, -1
	}
	p.frozen.Store(true)
	past := time.Unix(1, 0)
	for _, r := range p.r {
		_ = r.SetReadDeadline(past) // fails once closed: that reader ended
	}
	p.readers.Wait()
	fds := [2]int{-1, -1}
	for i, r := range p.r {
		if fd, ok := openFD(r); ok {
			fds[i] = fd
		}
	}
	return fds[0], fds[1]
}

// openFD is f's fd, unless f is closed.
func openFD(f *os.File) (int, bool) {
	fd, err := handoff.FD(f)
	return fd, err == nil
}

// Adopt reads the pipes of worker w, handed over by the poold before an
// upgrade (Freeze), and owns their fds from then on; -1 is a stream that
// had ended. Nil Output gives nil Pipes.
func (o *Output) Adopt(stdout, stderr int, w Worker) *Pipes {
	if o == nil {
		return nil
	}
	p := &Pipes{o: o, done: make(chan struct{})}
	for i, fd := range []int{stdout, stderr} {
		if fd < 0 {
			fd = endedPipe()
		}
		if fd < 0 { // out of fds: the stream is lost, the worker not
			p.r[i], _ = os.Open(os.DevNull)
			continue
		}
		p.r[i] = os.NewFile(uintptr(fd), "worker output")
	}
	p.read(w)
	return p
}

// endedPipe is the read end of a pipe whose writers are gone: its reader
// ends at once, as the stream it stands for had.
func endedPipe() int {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return -1
	}
	unix.Close(fds[1])
	return fds[0]
}
