package workerlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// closeGrace is how long Close waits for readers after closing their
// pipes: they end at once unless a sink blocks.
const closeGrace = time.Second

// Output reads the workers' pipes and passes their lines to a sink.
type Output struct {
	sink     Sink
	fallback Sink // takes the lines the sink refuses; may be nil
	log      *slog.Logger

	readers sync.WaitGroup
	mu      sync.Mutex
	open    map[*os.File]bool // read ends being read, closed by Close

	failing atomic.Bool // the sink refused the last line
	refused atomic.Int64
}

// NewOutput passes lines to sink, and those it refuses (a journal that
// cannot be reached) to fallback, when not nil.
func NewOutput(sink, fallback Sink, log *slog.Logger) *Output {
	return &Output{sink: sink, fallback: fallback, log: log, open: map[*os.File]bool{}}
}

// Pipes are one worker's stdout and stderr pipes. A nil *Pipes (no Output)
// does nothing and gives nil files.
type Pipes struct {
	o    *Output
	r, w [2]*os.File // by Stream - 1
	left atomic.Int32
	done chan struct{} // closed once both readers ended
	// frozen is set by Freeze: readers end at once, leaving the pipes open
	// for the next poold; readers counts them.
	frozen  atomic.Bool
	readers sync.WaitGroup
	tail    tail // the last lines on stderr
}

// Open makes the pipes of a worker about to start. Their worker ends are
// close-on-exec in poold; exec.Cmd passes them as fds 1 and 2, blocking.
func (o *Output) Open() (*Pipes, error) {
	if o == nil {
		return nil, nil
	}
	p := &Pipes{o: o, done: make(chan struct{})}
	for i := range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("output pipe: %w", err)
		}
		p.r[i], p.w[i] = r, w
	}
	return p, nil
}

// Stdout is the worker's end of its stdout pipe, for exec.Cmd.
func (p *Pipes) Stdout() *os.File {
	if p == nil {
		return nil
	}
	return p.w[0]
}

// Stderr is the worker's end of its stderr pipe, for exec.Cmd.
func (p *Pipes) Stderr() *os.File {
	if p == nil {
		return nil
	}
	return p.w[1]
}

// Close closes all four ends: for a worker that did not start.
func (p *Pipes) Close() {
	if p == nil {
		return
	}
	for _, f := range append(p.r[:], p.w[:]...) {
		if f != nil {
			f.Close()
		}
	}
}

// Start passes on what the worker w writes, once it runs. It closes
// poold's copies of the worker's ends, so that a reader sees EOF once the
// worker and every process that inherited its output have exited.
func (p *Pipes) Start(w Worker) {
	if p == nil {
		return
	}
	p.w[0].Close()
	p.w[1].Close()
	p.read(w)
}

// read starts the readers of both streams.
func (p *Pipes) read(w Worker) {
	p.left.Store(2)
	o := p.o
	o.mu.Lock()
	for i, r := range p.r {
		o.open[r] = true
		o.readers.Add(1)
		p.readers.Add(1)
		go o.read(p, w, Stream(i+1), r)
	}
	o.mu.Unlock()
}

// Wait waits up to d for both streams to end, and reports whether they did.
func (p *Pipes) Wait(d time.Duration) bool {
	if p == nil {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// Tail is the worker's last lines on stderr so far: all of them once Wait
// has returned true. Nil for a nil *Pipes.
func (p *Pipes) Tail() []string {
	if p == nil {
		return nil
	}
	return p.tail.get()
}

func (o *Output) read(p *Pipes, w Worker, s Stream, r *os.File) {
	defer o.readers.Done()
	defer p.readers.Done()
	err := splitLines(r, MaxLine, func(line []byte) {
		if s == Stderr {
			p.tail.add(line)
		}
		o.emit(w, s, line)
	})
	if p.frozen.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
		o.mu.Lock()
		delete(o.open, r)
		o.mu.Unlock()
		return // the pipe is the next poold's
	}
	if err != nil && !errors.Is(err, os.ErrClosed) {
		o.log.Warn("read worker output", "slot", w.Slot, "pid", w.PID, "stream", s.String(), "err", err)
	}
	o.mu.Lock()
	delete(o.open, r)
	o.mu.Unlock()
	r.Close()
	if p.left.Add(-1) == 0 {
		close(p.done)
	}
}

// emit passes a line to the sink, or to the fallback when the sink refuses
// it. A refusal is logged when it begins, and the count when it ends.
func (o *Output) emit(w Worker, s Stream, line []byte) {
	err := o.sink.Line(w, s, line)
	if err == nil {
		if o.failing.Load() && o.failing.CompareAndSwap(true, false) {
			o.log.Info("worker output is passed on again", "lines_refused", o.refused.Load())
		}
		return
	}
	o.refused.Add(1)
	if o.failing.CompareAndSwap(false, true) {
		o.log.Warn("worker output refused; writing it to poold's stderr meanwhile", "slot", w.Slot, "pid", w.PID, "err", err)
	}
	if o.fallback != nil {
		_ = o.fallback.Line(w, s, line) // nowhere left to report to
	}
}

// Close waits, until ctx ends, for every reader to reach the end of its
// pipe (workers that exited leave nothing behind but what is still in the
// pipe); then closes the pipes still open, which a process that outlived
// its worker holds, and waits for their readers a little more.
func (o *Output) Close(ctx context.Context) error {
	if o == nil {
		return nil
	}
	done := make(chan struct{})
	go func() { o.readers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	o.mu.Lock()
	n := len(o.open)
	for r := range o.open {
		r.Close() // the reader's Read returns os.ErrClosed
	}
	o.mu.Unlock()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
		o.log.Debug("worker output: closed pipes still held by other processes", "pipes", n)
		return nil
	case <-t.C:
		return fmt.Errorf("worker output: %d readers still blocked on their sink", n)
	}
}
