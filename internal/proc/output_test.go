package proc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/workerlog"
)

func init() {
	// chatty writes a line on each stream, saying whether it got
	// JOURNAL_STREAM and whether its stdout is non-blocking, then a last
	// line without a newline, and exits.
	workerHelpers["chatty"] = func() int {
		fl, _ := unix.FcntlInt(1, unix.F_GETFL, 0)
		js, has := os.LookupEnv("JOURNAL_STREAM")
		fmt.Printf("journal-stream=%v:%s nonblock=%v\n", has, js, fl&unix.O_NONBLOCK != 0)
		fmt.Fprintln(os.Stderr, "on stderr")
		fmt.Print("last words")
		return 0
	}
}

// lineSink records lines as "SLOT PID GEN ID STREAM line".
type lineSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *lineSink) Line(w workerlog.Worker, st workerlog.Stream, line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, fmt.Sprintf("%d %d %d %d %s %s", w.Slot, w.PID, w.Generation, w.ID, st, line))
	return nil
}

// A worker's stdout and stderr are pipes to poold, blocking on its side;
// every line, the last one without a newline too, is passed on before
// the worker's exit is.
func TestWorkerOutputGoesThroughPipes(t *testing.T) {
	sink := &lineSink{}
	out := workerlog.NewOutput(sink, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f := newFixture(t, "chatty", func(c *fixtureConfig) {
		c.Output = out
		c.Spec.Env = append(c.Spec.Env, "JOURNAL_STREAM=8:1234")
	})
	p := f.spawn(t, 5, 1, false)
	if ex := next[supervisor.Exited](t, f.sink); ex.ID != 5 || ex.Status.Code != 0 {
		t.Fatalf("exit %+v", ex)
	}
	sink.mu.Lock()
	got := strings.Join(sink.lines, "\n")
	sink.mu.Unlock()
	for _, want := range []string{
		fmt.Sprintf("1 %d 2 5 stdout journal-stream=false: nonblock=false", p.PID()),
		fmt.Sprintf("1 %d 2 5 stderr on stderr", p.PID()),
		fmt.Sprintf("1 %d 2 5 stdout last words", p.PID()),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lines lack %q:\n%s", want, got)
		}
	}
	if err := out.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
