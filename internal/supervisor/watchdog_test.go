package supervisor

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/notify"
)

func (p *pool) heartbeat(id WorkerID) {
	p.notified(id, notify.Message{Watchdog: true})
}

// A worker's first heartbeat arms the watchdog for it: slot 0 sent one and
// went silent, and is recycled; slot 1 never sent one, and is warned about
// once, not recycled.
func TestWorkerWatchdogIsArmedByTheFirstHeartbeat(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2, Health: Health{Watchdog: 10 * time.Second}}, nil)
	p.advance(time.Second)
	p.heartbeat(old[0].req.ID)
	p.advance(9 * time.Second)
	if n := p.logs.Count("no heartbeat since start"); n != 1 {
		t.Fatalf("%d warnings about slot 1's missing heartbeat after the watchdog's period, want 1", n)
	}
	if len(p.spawns()) != 2 {
		t.Fatalf("spawns %+v: want nothing recycled yet", p.spawns())
	}
	p.advance(time.Second) // slot 0 silent for 10s
	if _, beside := recycledBeside(p, old[0]); !beside {
		t.Fatalf("spawns %+v: want slot 0 recycled", p.spawns())
	}
	for range 5 {
		p.advance(10 * time.Second)
	}
	if _, recycled := recycledBeside(p, old[1]); recycled {
		t.Error("slot 1, which never sent a heartbeat, was recycled")
	}
	if n := p.logs.Count("no heartbeat since start"); n != 1 {
		t.Errorf("%d warnings about slot 1's missing heartbeat, want 1", n)
	}
}

// A worker the watchdog judged hung gets SIGKILL HungGrace after its
// SIGTERM, not the stop timeout: whether its recycle stops it, or a reload
// that ran when it was judged.
func TestHungWorkerIsKilledAfterAShortGrace(t *testing.T) {
	opts := Options{Workers: 1, StopTimeout: time.Minute, Health: Health{Watchdog: 10 * time.Second}}
	killedAfterGrace := func(t *testing.T, p *pool, hung spawned) {
		t.Helper()
		p.advance(HungGrace - time.Millisecond)
		if got := hung.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
			t.Fatalf("hung worker got %v before its grace passed, want SIGTERM", got)
		}
		p.advance(time.Millisecond)
		if got := hung.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
			t.Fatalf("hung worker got %v once its grace passed, want SIGTERM then SIGKILL", got)
		}
	}
	t.Run("recycled", func(t *testing.T) {
		p, old := readyPool(t, opts, nil)
		p.heartbeat(old[0].req.ID)
		p.advance(10 * time.Second)
		fresh, beside := recycledBeside(p, old[0])
		if !beside {
			t.Fatalf("spawns %+v: want the silent worker recycled", p.spawns())
		}
		p.ready(fresh.req.ID)
		killedAfterGrace(t, p, old[0])
	})
	t.Run("reloaded", func(t *testing.T) {
		p, old := readyPool(t, opts, nil)
		p.heartbeat(old[0].req.ID)
		done := p.reload()
		fresh := p.waitSpawns(2)[1]
		p.advance(10 * time.Second) // judged hung; no recycle during a reload
		p.ready(fresh.req.ID)
		killedAfterGrace(t, p, old[0])
		<-done
	})
	t.Run("heartbeat again", func(t *testing.T) {
		p, old := readyPool(t, opts, nil)
		p.heartbeat(old[0].req.ID)
		done := p.reload()
		fresh := p.waitSpawns(2)[1]
		p.advance(10 * time.Second)
		p.heartbeat(old[0].req.ID) // alive after all
		p.ready(fresh.req.ID)
		p.advance(time.Minute - time.Millisecond)
		if got := old[0].proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
			t.Fatalf("worker got %v before its stop timeout, want SIGTERM: it sent a heartbeat again", got)
		}
		<-done
	})
}
