package e2e

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// logLine is one line of poold's output (its log, and whatever its workers
// print: poold passes their lines on after a [POOL SLOT PID] prefix, or
// they write to its stdout and stderr with --worker-logs inherit), with the
// time it was read.
type logLine struct {
	text string
	at   time.Time
}

// logStream collects poold's output as it is written. Every line is kept, so
// that a failed test can show them all; waiters are woken through more.
type logStream struct {
	mu     sync.Mutex
	lines  []logLine
	more   chan struct{} // closed, and replaced, when a line arrives or the stream ends
	ended  bool
	track  bool        // open a pidfd for every "worker started" line
	pidfds map[int]int // worker PID -> pidfd
}

// workerStarted is poold's line for a new worker.
var workerStarted = regexp.MustCompile(`INF worker started .*\bpid=(\d+)\b`)

func newLogStream(trackWorkers bool) *logStream {
	return &logStream{more: make(chan struct{}), track: trackWorkers, pidfds: map[int]int{}}
}

// read consumes each of rs until EOF, which comes once poold and every
// process that inherited its output have exited. Lines of different
// readers are kept in the order they are read.
func (s *logStream) read(rs ...*os.File) {
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64*1024), 1024*1024)
			for sc.Scan() {
				s.add(sc.Text())
			}
		})
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	close(s.more)
}

func (s *logStream) add(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, logLine{text: text, at: time.Now()})
	if m := workerStarted.FindStringSubmatch(text); m != nil && s.track {
		// Opened while the worker is known to have just started, so the PID
		// is still its own: a pidfd then follows that very process.
		pid, _ := strconv.Atoi(m[1])
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			s.pidfds[pid] = fd
		}
	}
	close(s.more)
	s.more = make(chan struct{})
}

// from returns the lines from index i on, whether the stream has ended, and
// a channel closed when that changes.
func (s *logStream) from(i int) ([]logLine, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines[i:], s.ended, s.more
}

func (s *logStream) all() []logLine {
	lines, _, _ := s.from(0)
	return lines
}

// liveWorkers returns the tracked workers that have not exited, by PID.
func (s *logStream) liveWorkers() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []int
	for pid, fd := range s.pidfds {
		// A pidfd polls readable once its process has exited.
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err == nil && n == 0 {
			live = append(live, pid)
		}
	}
	return live
}

// killWorkers SIGKILLs the tracked workers still alive and their process
// groups, and closes every pidfd.
func (s *logStream) killWorkers(pids []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pid := range pids {
		unix.PidfdSendSignal(s.pidfds[pid], unix.SIGKILL, nil, 0)
		unix.Kill(-pid, unix.SIGKILL) // each worker leads its own group
	}
	for pid, fd := range s.pidfds {
		unix.Close(fd)
		delete(s.pidfds, pid)
	}
}

// killLive SIGKILLs the tracked workers still running, through their
// pidfds, and keeps tracking them.
func (s *logStream) killLive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fd := range s.pidfds {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

// workersLeft waits up to within for every tracked worker to exit, and
// returns those still running then.
func (s *logStream) workersLeft(within time.Duration) []int {
	deadline := time.Now().Add(within)
	s.mu.Lock()
	defer s.mu.Unlock()
	var left []int
	for pid, fd := range s.pidfds {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		wait := max(time.Until(deadline), 0)
		if n, err := unix.Poll(fds, int(wait.Milliseconds())); err != nil || n == 0 {
			left = append(left, pid)
		}
	}
	return left
}
