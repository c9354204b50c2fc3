package supervisor

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A slot none of whose workers was ever ready is crash-looping at its
// second failure, and so is the pool, which was never ready: not starting
// for ever. Status says how the last worker ended and what it wrote last;
// the log says so once for the streak.
func TestNeverReadySlotCrashLoopsAtOnce(t *testing.T) {
	p := startPool(t, Options{Workers: 2, Ready: ReadyNotify, Backoff: Backoff{Initial: time.Second, Max: time.Second}}, nil)
	s := p.spawns()
	p.ready(s[0].req.ID)
	out := []string{"Error: Cannot find module 'express'", "Node.js v20.20.2"}
	p.sup.post(Exited{ID: s[1].req.ID, Status: ExitStatus{Code: 1}, Output: out})
	if st := p.status(); st.State != PoolStarting || len(st.Slots) != 1 || st.Slots[0].CrashLooping {
		t.Fatalf("after one failure: %v, slots %+v; want starting, slot 1 failing, not crash-looping", st.State, st.Slots)
	}
	for range 3 {
		p.advance(time.Second)
		s = p.spawns()
		p.sup.post(Exited{ID: s[len(s)-1].req.ID, Status: ExitStatus{Code: 1}, Output: out})
	}
	st := p.status()
	want := SlotStatus{Slot: 1, CrashLooping: true, Failures: 4, LastExit: "exit code 1 before READY=1", LastOutput: out,
		NextStart: p.clock.Now().Add(time.Second)}
	if st.State != PoolCrashLooping || len(st.Slots) != 1 || !equalSlots(st.Slots[0], want) {
		t.Fatalf("state %v, slots %+v; want crash-looping, %+v", st.State, st.Slots, want)
	}
	logs := strings.Join(p.logs.Take(), "\n")
	if n := strings.Count(logs, "slot is crash-looping"); n != 1 {
		t.Fatalf("%d crash-loop reports, want 1 per streak:\n%s", n, logs)
	}
	if !strings.Contains(logs, `last_exit="exit code 1 before READY=1"`) || !strings.Contains(logs, "Cannot find module") {
		t.Fatalf("the report lacks the reason or the output:\n%s", logs)
	}
	p.advance(time.Second)
	s = p.spawns()
	p.ready(s[len(s)-1].req.ID)
	if st := p.status(); st.State != PoolRunning || len(st.Slots) != 0 {
		t.Fatalf("after a ready worker: %v, slots %+v; want running, none failing", st.State, st.Slots)
	}
}

// A slot that has had a ready worker crash-loops only after CrashLoopAfter
// failures, as before.
func TestOnceReadySlotCrashLoopsAfterCrashLoopAfter(t *testing.T) {
	p, ws := readyPool(t, Options{Workers: 1, CrashLoopAfter: 3, Backoff: Backoff{Initial: time.Second, Max: time.Second}}, nil)
	p.crash(ws[0].req.ID)
	for i := 2; i <= 3; i++ {
		p.advance(time.Second)
		s := p.spawns()
		p.crash(s[len(s)-1].req.ID)
		if st := p.status(); st.Slots[0].CrashLooping != (i == 3) {
			t.Fatalf("failure %d: slots %+v, want crash-looping only at 3", i, st.Slots)
		}
	}
	if st := p.status(); st.State != PoolCrashLooping || st.Slots[0].LastExit != "exit code 1 before it was ready" {
		t.Fatalf("status %v, slots %+v; want crash-looping, last exit before it was ready", st.State, st.Slots)
	}
}

// A worker stopped for not getting ready in time leaves that as its
// slot's reason, not the SIGTERM that stopped it.
func TestReadyTimeoutIsTheSlotsReason(t *testing.T) {
	p := startPool(t, Options{Workers: 1, ReadyTimeout: time.Minute, Backoff: Backoff{Initial: time.Second, Max: time.Second}}, nil)
	for range 2 {
		p.advance(time.Minute)
		s := p.spawns()
		p.sup.post(Exited{ID: s[len(s)-1].req.ID, Status: ExitStatus{Signal: 15}})
		p.advance(time.Second)
	}
	st := p.status()
	if st.State != PoolCrashLooping || len(st.Slots) != 1 || st.Slots[0].LastExit != "not ready after 1m0s" {
		t.Fatalf("status %v, slots %+v; want crash-looping, not ready after 1m0s", st.State, st.Slots)
	}
}

func equalSlots(a, b SlotStatus) bool {
	return a.Slot == b.Slot && a.CrashLooping == b.CrashLooping && a.Failures == b.Failures && a.LastExit == b.LastExit &&
		slices.Equal(a.LastOutput, b.LastOutput) && a.NextStart.Equal(b.NextStart)
}
