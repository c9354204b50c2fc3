package workerlog

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// A worker's last stderr lines are kept, not its stdout, not blank lines,
// at most TailLines, each cut to TailLineBytes.
func TestPipesKeepTheLastStderrLines(t *testing.T) {
	o := NewOutput(newFakeSink(), nil, slog.New(slog.DiscardHandler))
	long := strings.Repeat("é", TailLineBytes) // two bytes each: cut between runes
	cmd, p := startWorker(t, o, 0, `for i in 1 2 3 4 5 6 7 8 9; do echo "err $i" >&2; done; echo out; echo >&2; echo "`+long+`" >&2`)
	cmd.Wait()
	if !p.Wait(bound) {
		t.Fatal("streams did not end after the worker exited")
	}
	want := []string{"err 3", "err 4", "err 5", "err 6", "err 7", "err 8", "err 9", strings.Repeat("é", TailLineBytes/2) + "…"}
	if got := p.Tail(); !slices.Equal(got, want) {
		t.Errorf("tail %q, want %q", got, want)
	}
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var none *Pipes
	if got := none.Tail(); got != nil {
		t.Errorf("nil pipes' tail %q, want nil", got)
	}
}
