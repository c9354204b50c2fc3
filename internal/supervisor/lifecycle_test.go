package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/poold/poold/internal/clock/clocktest"
	"github.com/poold/poold/internal/logging/logtest"
)

func newUnstarted(t *testing.T) (*Supervisor, *fakeSpawner) {
	t.Helper()
	var logs logtest.Buffer
	sp := &fakeSpawner{}
	sup, err := New(testOptions(Options{Workers: 1}), sp, &fakeNotifier{}, slog.New(slog.NewTextHandler(&logs, nil)), clocktest.NewFake())
	if err != nil {
		t.Fatal(err)
	}
	return sup, sp
}

func TestShutdownBeforeRunClosesTheSupervisor(t *testing.T) {
	sup, sp := newUnstarted(t)
	if err := sup.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Run = %v, want nil", err)
	}
	select {
	case <-sup.Done():
	default:
		t.Fatal("Done not closed by a Shutdown before Run")
	}
	if err := sup.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Shutdown = %v, want ErrClosed", err)
	}
	if n := len(sp.all()); n != 0 {
		t.Fatalf("Run after Shutdown started %d workers", n)
	}
	if _, err := sup.Status(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Status after Shutdown = %v, want ErrStopped", err)
	}
	if err := sup.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown = %v, want nil", err)
	}
}

func TestSecondRunIsRefused(t *testing.T) {
	p := startPool(t, Options{Workers: 1}, nil)
	p.status() // the first Run has begun
	if err := p.sup.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Run = %v, want ErrClosed", err)
	}
	if n := len(p.spawns()); n != 1 {
		t.Fatalf("%d workers after a second Run, want 1", n)
	}
	p.cancel()
	p.sup.post(Exited{ID: p.spawns()[0].req.ID})
	if err := <-p.runErr; err != nil {
		t.Fatalf("first Run = %v", err)
	}
	if err := p.sup.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after the first ended = %v, want ErrClosed", err)
	}
}
