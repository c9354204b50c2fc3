package workerlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poold/poold/internal/testbound"
)

// bound only ends a stuck test: events come within milliseconds. It grows
// with $POOLD_TEST_TIMEOUT_FACTOR.
var bound = testbound.Scale(20 * time.Second)

// fakeSink records lines; block, when set, holds the lines of one slot
// until it is closed.
type fakeSink struct {
	mu        sync.Mutex
	lines     []string // "SLOT PID STREAM line"
	added     chan struct{}
	block     chan struct{}
	blockSlot int
	fail      error
}

func newFakeSink() *fakeSink { return &fakeSink{added: make(chan struct{}, 1)} }

func (f *fakeSink) Line(w Worker, s Stream, line []byte) error {
	if f.block != nil && w.Slot == f.blockSlot {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.lines = append(f.lines, fmt.Sprintf("%d %d %s %s", w.Slot, w.PID, s, line))
	select {
	case f.added <- struct{}{}:
	default: // a waiter is woken already
	}
	return nil
}

func (f *fakeSink) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

// waitFor waits until a line equal to want was recorded.
func (f *fakeSink) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(bound)
	for {
		for _, l := range f.all() {
			if l == want {
				return
			}
		}
		select {
		case <-f.added:
		case <-deadline:
			all := f.all()
			t.Fatalf("no line %q within %v; got %d lines, the last: %q", want, bound, len(all), all[max(0, len(all)-5):])
		}
	}
}

// startWorker runs script with sh, its stdout and stderr the pipes of o,
// as slot.
func startWorker(t *testing.T, o *Output, slot int, script string) (*exec.Cmd, *Pipes) {
	t.Helper()
	p, err := o.Open()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdout, cmd.Stderr = p.Stdout(), p.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.Close()
		t.Fatal(err)
	}
	p.Start(Worker{Pool: "t", Slot: slot, Generation: 1, ID: uint64(slot + 1), PID: cmd.Process.Pid})
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	return cmd, p
}

func TestOutputPassesLinesOn(t *testing.T) {
	defer goleak.VerifyNone(t)
	sink := newFakeSink()
	o := NewOutput(sink, nil, slog.New(slog.DiscardHandler))
	cmd, p := startWorker(t, o, 2, `echo out; echo err >&2; printf 'no newline'`)
	cmd.Wait()
	if !p.Wait(bound) {
		t.Fatal("streams did not end after the worker exited")
	}
	pid := cmd.Process.Pid
	got := strings.Join(sink.all(), "\n")
	for _, want := range []string{
		fmt.Sprintf("2 %d stdout out", pid), fmt.Sprintf("2 %d stderr err", pid), fmt.Sprintf("2 %d stdout no newline", pid),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lines lack %q:\n%s", want, got)
		}
	}
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A worker whose lines the sink does not take blocks in its own write; the
// other worker's lines still go through.
func TestSlowSinkBlocksOnlyItsWorker(t *testing.T) {
	sink := newFakeSink()
	sink.block, sink.blockSlot = make(chan struct{}), 0
	o := NewOutput(sink, nil, slog.New(slog.DiscardHandler))
	// Slot 0 floods: far more than a pipe holds, so it blocks in write(2).
	flood, _ := startWorker(t, o, 0, `yes flood | head -n 30000; echo done`)
	quiet, _ := startWorker(t, o, 1, `echo alive; exec sleep 100`)
	sink.waitFor(t, fmt.Sprintf("1 %d stdout alive", quiet.Process.Pid))
	exited := make(chan struct{})
	go func() { flood.Wait(); close(exited) }()
	select {
	case <-exited:
		t.Fatal("the flooding worker finished while its lines were held: nothing pushed back")
	case <-time.After(100 * time.Millisecond): // the absence of an event: how long to look is a choice
	}
	close(sink.block)
	sink.waitFor(t, fmt.Sprintf("0 %d stdout done", flood.Process.Pid))
	<-exited
	quiet.Process.Kill()
	quiet.Wait()
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A process that outlives its worker keeps the pipe open; Close closes it
// once its context ends, and the line it wrote before is not lost.
func TestCloseEndsPipesHeldByStragglers(t *testing.T) {
	sink := newFakeSink()
	o := NewOutput(sink, nil, slog.New(slog.DiscardHandler))
	cmd, p := startWorker(t, o, 0, `echo started; sleep 100 & printf partial`)
	cmd.Wait()
	sink.waitFor(t, fmt.Sprintf("0 %d stdout started", cmd.Process.Pid))
	if p.Wait(50 * time.Millisecond) {
		t.Fatal("streams ended while the sleep holds them")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !p.Wait(0) {
		t.Error("streams not ended after Close")
	}
	sink.waitFor(t, fmt.Sprintf("0 %d stdout partial", cmd.Process.Pid))
}

func TestRefusedLinesGoToTheFallback(t *testing.T) {
	sink, fallback := newFakeSink(), newFakeSink()
	sink.fail = errors.New("journal gone")
	var logs bytes.Buffer
	var logsMu sync.Mutex
	o := NewOutput(sink, fallback, slog.New(slog.NewTextHandler(lockedWriter{&logs, &logsMu}, nil)))
	w := Worker{Pool: "t", Slot: 1, PID: 5}
	o.emit(w, Stderr, []byte("one"))
	o.emit(w, Stderr, []byte("two"))
	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	o.emit(w, Stdout, []byte("three"))
	if got := strings.Join(fallback.all(), ","); got != "1 5 stderr one,1 5 stderr two" {
		t.Errorf("fallback got %q", got)
	}
	if got := strings.Join(sink.all(), ","); got != "1 5 stdout three" {
		t.Errorf("sink got %q", got)
	}
	logsMu.Lock()
	defer logsMu.Unlock()
	if n := strings.Count(logs.String(), "worker output refused"); n != 1 {
		t.Errorf("refusal logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "worker output is passed on again") || !strings.Contains(logs.String(), "lines_refused=2") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestNilOutputInherits(t *testing.T) {
	var o *Output
	p, err := o.Open()
	if p != nil || err != nil || p.Stdout() != nil || p.Stderr() != nil || !p.Wait(0) {
		t.Fatalf("nil Output: %v, %v", p, err)
	}
	p.Start(Worker{})
	p.Close()
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
