package supervisor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/notify"
)

// taken is the events published so far, each as "Type detail", after two
// barriers: the loop publishes at the top of the iteration after the one
// that replied to the first.
func (p *pool) taken() ([]string, []Event) {
	p.status()
	p.status()
	evs := p.events.Take()
	var names []string
	for _, ev := range evs {
		names = append(names, describe(ev))
	}
	return names, evs
}

func describe(ev Event) string {
	switch ev := ev.(type) {
	case WorkerStarted:
		return fmt.Sprintf("WorkerStarted %d", ev.Worker.Slot)
	case WorkerReady:
		return fmt.Sprintf("WorkerReady %d", ev.Worker.Slot)
	case WorkerExited:
		return fmt.Sprintf("WorkerExited %d %s", ev.Worker.Slot, ev.Exit)
	case ReloadStarted:
		return fmt.Sprintf("ReloadStarted %d", ev.Generation)
	case ReloadFinished:
		return fmt.Sprintf("ReloadFinished %d %v", ev.Generation, ev.Err)
	case Scaled:
		return fmt.Sprintf("Scaled %d %d", ev.From, ev.To)
	case Changed:
		return "Changed"
	case Resync:
		return fmt.Sprintf("Resync %d", ev.Lost)
	}
	return fmt.Sprintf("%T", ev)
}

func TestEventsSayWhatHappenedWithTheSnapshotItMade(t *testing.T) {
	p := startPool(t, Options{Workers: 1, MaxWorkers: 4}, nil)
	w := p.spawns()[0].req.ID
	steps := []struct {
		name string
		do   func()
		want string
		pool func(Status) bool
	}{
		{"start", func() {}, "WorkerStarted 0", func(st Status) bool { return st.Starting == 1 }},
		{"READY=1", func() { p.ready(w) }, "WorkerReady 0", func(st Status) bool { return st.Ready == 1 }},
		{"STATUS=", func() { p.notified(w, notify.Message{Status: "warm", HasStatus: true}) }, "Changed",
			func(st Status) bool { return st.Workers[0].StatusText == "warm" }},
		{"scale up", func() { _ = p.sup.Scale(context.Background(), 2, RefuseZero) },
			"Scaled 1 2, WorkerStarted 1", func(st Status) bool { return st.Target == 2 && st.Starting == 1 }},
		{"crash", func() { p.crash(w) }, "WorkerExited 0 exit code 1",
			func(st Status) bool {
				return len(st.Workers) == 1 && st.Counters.Exits["failed-start"]+st.Counters.Exits["crash"] == 1
			}},
	}
	for _, s := range steps {
		s.do()
		names, evs := p.taken()
		if got := strings.Join(names, ", "); got != s.want {
			t.Fatalf("%s: events %q, want %q", s.name, got, s.want)
		}
		if st := evs[len(evs)-1].Snapshot(); !s.pool(st) {
			t.Fatalf("%s: snapshot %+v is not the one the event made", s.name, st)
		}
	}
}

func TestEveryReloadIsPublishedWithItsOwnDuration(t *testing.T) {
	p, _ := readyPool(t, Options{Workers: 1}, nil)
	p.taken()
	for gen := 2; gen <= 3; gen++ {
		done := p.reload()
		fresh := p.waitSpawns(gen)[gen-1]
		p.advance(time.Duration(gen) * time.Second)
		p.ready(fresh.req.ID)
		if res := <-done; res.err != nil {
			t.Fatal(res.err)
		}
	}
	names, evs := p.taken() // both reloads ended before this reader looked
	var finished []ReloadFinished
	for _, ev := range evs {
		if f, ok := ev.(ReloadFinished); ok {
			finished = append(finished, f)
		}
	}
	if len(finished) != 2 || finished[0].Duration != 2*time.Second || finished[1].Duration != 3*time.Second {
		t.Fatalf("events %q: want two ReloadFinished, of 2s and 3s", names)
	}
}

func TestASlowSubscriberDoesNotHoldTheLoopAndResyncs(t *testing.T) {
	p := startPool(t, Options{Workers: 1}, nil)
	w := p.spawns()[0].req.ID
	const changes = 2 * subscriptionQueue
	for i := range changes {
		p.notified(w, notify.Message{Status: fmt.Sprint(i), HasStatus: true})
		p.status() // one iteration, one event
	}
	names, evs := p.taken()
	if len(evs) != subscriptionQueue {
		t.Fatalf("%d events queued, want the queue's %d", len(evs), subscriptionQueue)
	}
	last, ok := evs[len(evs)-1].(Resync)
	if want := 1 + changes - (subscriptionQueue - 1); !ok || last.Lost != want {
		t.Fatalf("last event %q, want Resync %d", names[len(names)-1], want)
	}
	if got := last.Snapshot().Workers[0].StatusText; got != fmt.Sprint(changes-1) {
		t.Fatalf("Resync's snapshot has STATUS=%q, want the latest %d", got, changes-1)
	}
}
