package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/poold/poold/internal/notify"
)

// received is how many events q got since the last call, and takes them.
// Two barriers: the loop publishes at the top of the iteration after the one
// that replied to the first.
func (p *pool) received(q *Subscription) int {
	p.status()
	p.status()
	return len(q.Take())
}

// changed reports whether the pool's own subscription, made before Run, got
// an event.
func (p *pool) changed() bool { return p.received(p.events) > 0 }

func TestChangesFollowWhatStatusShows(t *testing.T) {
	p := startPool(t, Options{Workers: 1, MaxWorkers: 4}, &fakeNotifier{interval: time.Second})
	w := p.spawns()[0].req.ID
	if !p.changed() {
		t.Fatal("no change after the first worker started")
	}
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"status requests", func() {}, false},
		{"watchdog ping", func() { p.advance(time.Second) }, false},
		{"READY=1", func() { p.ready(w) }, true},
		{"READY=1 again", func() { p.ready(w) }, false},
		{"STATUS=", func() { p.notified(w, notify.Message{Status: "warm", HasStatus: true}) }, true},
		{"same STATUS=", func() { p.notified(w, notify.Message{Status: "warm", HasStatus: true}) }, false},
		{"heartbeat", func() { p.notified(w, notify.Message{Watchdog: true}) }, true},
		{"Signal", func() { _ = p.sup.Signal(context.Background(), 0, 10) }, false},
		{"scale up", func() { _ = p.sup.Scale(context.Background(), 2, RefuseZero) }, true},
		{"crash", func() { p.crash(w) }, true},
	}
	for _, s := range steps {
		s.do()
		if got := p.changed(); got != s.want {
			t.Errorf("%s: changed = %v, want %v", s.name, got, s.want)
		}
	}
}

func TestEverySubscriberSeesEachChange(t *testing.T) {
	p := startPool(t, Options{Workers: 1}, nil)
	w := p.spawns()[0].req.ID
	p.changed()
	late := p.sup.Events() // after Run started
	if p.received(late) != 0 {
		t.Fatal("a subscriber made after the last change received it")
	}

	p.ready(w)
	if p.received(late) != 1 || !p.changed() {
		t.Fatal("READY=1 did not reach both subscribers")
	}

	// A reader that leaves its events unread neither blocks the loop nor
	// keeps the other from seeing the next change.
	p.notified(w, notify.Message{Status: "warm", HasStatus: true})
	if !p.changed() {
		t.Fatal("STATUS= did not reach the pool's subscriber")
	}
	p.notified(w, notify.Message{Status: "hot", HasStatus: true})
	if !p.changed() {
		t.Fatal("second STATUS= did not reach the pool's subscriber")
	}
	if n := p.received(late); n != 2 {
		t.Fatalf("the idle subscriber got %d events, want both changes", n)
	}

	p.status()
	if p.received(late) != 0 || p.changed() {
		t.Fatal("a Status call made a subscriber receive")
	}
}
