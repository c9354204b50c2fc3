package supervisor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSignalReachesOneSlotOrEveryWorker(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 3}, nil)
	ctx := context.Background()
	if err := p.sup.Signal(ctx, 1, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := p.sup.Signal(ctx, AllSlots, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for i, w := range ws {
		want := []syscall.Signal{syscall.SIGHUP}
		if i == 1 {
			want = []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP}
		}
		if got := w.proc.signals(); !slices.Equal(got, want) {
			t.Errorf("slot %d got %v, want %v", i, got, want)
		}
	}
	if st := p.status(); st.Ready != 3 || st.Stopping != 0 {
		t.Errorf("a signal changed the workers' states: %+v", st)
	}
}

func TestSignalRejects(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 2, Backoff: Backoff{Initial: time.Minute, Max: time.Hour}}, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		slot int
		sig  syscall.Signal
		want string
	}{
		{0, 0, "signal 0: want 1..64"},
		{0, 65, "signal 65: want 1..64"},
		{-2, syscall.SIGTERM, "slot -2: want 0..1"},
		{2, syscall.SIGTERM, "slot 2: want 0..1 (the pool has 2 workers), or -1 for every worker"},
	} {
		err := p.sup.Signal(ctx, tt.slot, tt.sig)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Signal(%d, %d) = %v, want invalid argument %q", tt.slot, tt.sig, err, tt.want)
		}
	}
	p.crash(ws[1].req.ID)
	if err := p.sup.Signal(ctx, 1, syscall.SIGTERM); !errors.Is(err, ErrNoSuchWorker) {
		t.Errorf("Signal to an empty slot = %v, want ErrNoSuchWorker", err)
	}
	if got := ws[0].proc.signals(); len(got) != 0 {
		t.Errorf("a rejected signal reached slot 0: %v", got)
	}
}

func TestSignalToAnEmptyPool(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 1}, nil)
	ctx := context.Background()
	if err := p.sup.Scale(ctx, 0, AllowZero); err != nil {
		t.Fatal(err)
	}
	p.exit(ws[0].req.ID, 0)
	if err := p.sup.Signal(ctx, AllSlots, syscall.SIGHUP); !errors.Is(err, ErrNoSuchWorker) {
		t.Fatalf("Signal(-1) with no worker = %v, want ErrNoSuchWorker", err)
	}
}

func TestWorkerKilledBySignalIsRestartedWithBackoff(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 1, Backoff: Backoff{Initial: time.Second, Max: time.Minute}}, nil)
	if err := p.sup.Signal(context.Background(), 0, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.sup.post(Exited{ID: ws[0].req.ID, Status: ExitStatus{Signal: syscall.SIGKILL}})
	p.advance(time.Second - time.Millisecond)
	if got := len(p.spawns()); got != 1 {
		t.Fatalf("%d spawns before the backoff passed, want 1", got)
	}
	p.advance(time.Millisecond)
	st := p.status()
	if got := len(p.spawns()); got != 2 || st.Workers[0].Restarts != 1 {
		t.Fatalf("%d spawns, %d restarts: want the slot restarted as after a crash", got, st.Workers[0].Restarts)
	}
}
