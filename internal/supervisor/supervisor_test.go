package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/notify"
)

func TestStartsOneWorkerPerSlotAndReportsReadyOnce(t *testing.T) {
	n := &fakeNotifier{}
	p := startPool(t, Options{Name: "app", Workers: 3}, n)
	spawns := p.spawns()
	if len(spawns) != 3 {
		t.Fatalf("spawned %d workers, want 3", len(spawns))
	}
	for i, s := range spawns {
		if s.req.Slot != i || s.req.Generation != 1 || !s.req.ProbeListening {
			t.Errorf("spawn %d = %+v, want slot %d generation 1 with probe", i, s.req, i)
		}
	}
	p.ready(spawns[0].req.ID)
	p.ready(spawns[1].req.ID)
	if st := p.status(); st.Ready != 2 || st.Starting != 1 {
		t.Fatalf("ready %d starting %d, want 2 and 1", st.Ready, st.Starting)
	}
	if slices.ContainsFunc(n.messages(), func(m string) bool { return strings.HasPrefix(m, "READY") }) {
		t.Fatalf("READY sent before the minimum was ready: %q", n.messages())
	}
	p.ready(spawns[2].req.ID)
	p.ready(spawns[2].req.ID) // a repeated READY=1 changes nothing
	p.status()
	var readies []string
	for _, m := range n.messages() {
		if strings.HasPrefix(m, "READY") {
			readies = append(readies, m)
		}
	}
	if want := []string{"READY: 3/3 workers ready"}; !slices.Equal(readies, want) {
		t.Fatalf("READY messages %q, want %q", readies, want)
	}
}

func TestCrashedWorkerIsReplacedInItsSlot(t *testing.T) {
	p := startPool(t, Options{Workers: 2}, nil)
	first := p.spawns()
	for _, s := range first {
		p.ready(s.req.ID)
	}
	p.exit(first[1].req.ID, 1)
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("respawned before the backoff passed: %d spawns", got)
	}
	p.advance(100 * time.Millisecond)
	spawns := p.spawns()
	if len(spawns) != 3 {
		t.Fatalf("%d spawns after backoff, want 3", len(spawns))
	}
	if repl := spawns[2].req; repl.Slot != 1 || repl.ID == first[1].req.ID {
		t.Fatalf("replacement %+v, want a new worker in slot 1", repl)
	}
	st := p.status()
	if st.Workers[1].Restarts != 1 || st.Workers[0].Restarts != 0 {
		t.Fatalf("restarts = %d/%d, want 0/1", st.Workers[0].Restarts, st.Workers[1].Restarts)
	}
}

func TestBackoffGrowsAndBoundsTheSpawnRate(t *testing.T) {
	n := &fakeNotifier{}
	p := startPool(t, Options{Workers: 1, Backoff: Backoff{Initial: time.Second, Max: 8 * time.Second}}, n)
	wantDelays := []time.Duration{1, 2, 4, 8, 8, 8}
	for i, d := range wantDelays {
		spawns := p.spawns()
		p.exit(spawns[len(spawns)-1].req.ID, 3)
		p.advance(d*time.Second - time.Millisecond)
		if got := len(p.spawns()); got != i+1 {
			t.Fatalf("crash %d: respawned before %v", i+1, d*time.Second)
		}
		p.advance(time.Millisecond)
		if got := len(p.spawns()); got != i+2 {
			t.Fatalf("crash %d: %d spawns after %v, want %d", i+1, got, d*time.Second, i+2)
		}
	}
	if sum := p.status().Summary; !strings.Contains(sum, "slot 0 crash-looping (exit code 3 before it was ready, 6 failures)") {
		t.Fatalf("summary %q does not report the crash loop", sum)
	}
}

func TestStableWorkerResetsBackoff(t *testing.T) {
	p := startPool(t, Options{Workers: 1, Backoff: Backoff{Initial: time.Second, Max: time.Minute, StableAfter: 10 * time.Second}}, nil)
	for range 3 { // three fast crashes: the next delay would be 8s
		s := p.spawns()
		p.exit(s[len(s)-1].req.ID, 1)
		p.advance(time.Minute)
	}
	s := p.spawns()
	p.ready(s[len(s)-1].req.ID)
	p.advance(10 * time.Second)
	p.exit(s[len(s)-1].req.ID, 1)
	p.advance(time.Second)
	if got := len(p.spawns()); got != len(s)+1 {
		t.Fatalf("after a stable run the restart took longer than the initial delay: %d spawns, want %d", got, len(s)+1)
	}
}

func TestReadyTimeoutKillsAndReplaces(t *testing.T) {
	p := startPool(t, Options{Workers: 1, ReadyTimeout: 5 * time.Second, StopTimeout: time.Second}, nil)
	w := p.spawns()[0]
	p.advance(5 * time.Second)
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v, want SIGTERM", got)
	}
	p.advance(time.Second)
	if got := w.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Fatalf("signals %v, want SIGTERM then SIGKILL", got)
	}
	if got := len(p.spawns()); got != 1 {
		t.Fatalf("replacement started while the old worker still runs: %d spawns", got)
	}
	p.sup.post(Exited{ID: w.req.ID, Status: ExitStatus{Signal: syscall.SIGKILL}})
	p.advance(100 * time.Millisecond)
	if got := p.spawns(); len(got) != 2 || got[1].req.Slot != 0 {
		t.Fatalf("spawns %+v, want a replacement in slot 0", got)
	}
}

func TestReadyModes(t *testing.T) {
	tests := []struct {
		mode      ReadyMode
		event     func(p *pool, id WorkerID)
		wantReady bool
	}{
		{ReadyNotify, func(p *pool, id WorkerID) { p.ready(id) }, true},
		{ReadyNotify, func(p *pool, id WorkerID) { p.sup.post(Listening{ID: id}) }, false},
		{ReadyListening, func(p *pool, id WorkerID) { p.sup.post(Listening{ID: id}) }, true},
		{ReadyListening, func(p *pool, id WorkerID) { p.ready(id) }, false},
		{ReadyAuto, func(p *pool, id WorkerID) { p.sup.post(Listening{ID: id}) }, true},
		{ReadyAuto, func(p *pool, id WorkerID) { p.ready(id) }, true},
		{ReadyDelay, func(p *pool, _ WorkerID) { p.advance(time.Second) }, true},
		{ReadyDelay, func(p *pool, _ WorkerID) { p.advance(time.Second - time.Millisecond) }, false},
	}
	for _, tt := range tests {
		p := startPool(t, Options{Workers: 1, Ready: tt.mode, ReadyDelay: time.Second}, nil)
		w := p.spawns()[0]
		if w.req.ProbeListening != tt.mode.AcceptsListening() {
			t.Errorf("%v: probe requested = %v", tt.mode, w.req.ProbeListening)
		}
		tt.event(p, w.req.ID)
		if got := p.status().Ready == 1; got != tt.wantReady {
			t.Errorf("%v: ready = %v, want %v", tt.mode, got, tt.wantReady)
		}
	}
}

func TestNotifyFieldsAreKeptPerWorker(t *testing.T) {
	p := startPool(t, Options{Workers: 1, ReadyTimeout: 10 * time.Second}, nil)
	w := p.spawns()[0]
	p.sup.post(Notified{ID: w.req.ID, Datagram: notify.Datagram{
		Message: notify.Message{Status: "warming cache", HasStatus: true, ExtendTimeout: 15 * time.Second},
		Err:     &notify.ParseError{Line: 3, Key: "READY", Err: notify.ErrInvalidValue},
	}})
	p.advance(14 * time.Second) // past the ready timeout, inside the extension
	st := p.status()
	if st.Workers[0].StatusText != "warming cache" || st.Workers[0].State != Starting {
		t.Fatalf("worker %+v, want status text kept and still starting", st.Workers[0])
	}
	p.sup.post(Notified{ID: w.req.ID, Datagram: notify.Datagram{Message: notify.Message{Watchdog: true, Ready: true}}})
	if st := p.status(); st.Workers[0].LastHeartbeat.IsZero() || st.Ready != 1 {
		t.Fatalf("worker %+v, want a heartbeat and ready", st.Workers[0])
	}
}

func TestReportedMetricsAreKeptAndCountAsHeartbeat(t *testing.T) {
	p := startPool(t, Options{Workers: 1}, nil)
	w := p.spawns()[0]
	p.advance(time.Second)
	m := channel.Metrics{LoopDelayP99: 3 * time.Millisecond, HeapUsedBytes: 1 << 20, Requests: 42}
	p.sup.post(Reported{ID: w.req.ID, Metrics: m})
	got := p.status().Workers[0]
	if got.Metrics != m || got.MetricsAt.IsZero() || !got.LastHeartbeat.Equal(got.MetricsAt) {
		t.Fatalf("worker %+v, want the metrics, their time, and that time as the heartbeat", got)
	}
	p.sup.post(Reported{ID: w.req.ID + 100, Metrics: m}) // an unknown worker: ignored
	if got := p.status(); len(got.Workers) != 1 {
		t.Fatalf("workers %+v after a report from an unknown worker", got.Workers)
	}
}

func TestWorkerThatAnnouncesStoppingIsReplacedWithoutBackoff(t *testing.T) {
	p := startPool(t, Options{Workers: 1}, nil)
	w := p.spawns()[0]
	p.ready(w.req.ID)
	p.sup.post(Notified{ID: w.req.ID, Datagram: notify.Datagram{Message: notify.Message{Stopping: true}}})
	p.exit(w.req.ID, 0)
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("%d spawns, want an immediate replacement", got)
	}
}

func TestSpawnErrorBacksOff(t *testing.T) {
	p := startPool(t, Options{Workers: 1, Backoff: Backoff{Initial: time.Second, Max: time.Minute}}, nil)
	p.status()
	p.spawner.mu.Lock()
	p.spawner.failNext = 1
	p.spawner.mu.Unlock()
	p.exit(p.spawns()[0].req.ID, 1) // replacement due in 1s fails, next try 2s later
	p.advance(time.Second)
	p.advance(2*time.Second - time.Millisecond)
	if got := len(p.spawns()); got != 1 {
		t.Fatalf("%d spawns, want the failed spawn to back off", got)
	}
	p.advance(time.Millisecond)
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("%d spawns, want a retry after the backoff", got)
	}
}

func TestShutdownDrainsThenKills(t *testing.T) {
	n := &fakeNotifier{}
	p := startPool(t, Options{Workers: 2, StopTimeout: 5 * time.Second}, n)
	spawns := p.spawns()
	p.cancel()
	p.waitUntil("shutdown begun", func(st Status) bool { return st.State == PoolStopping }) // the loop sees ctx at some point
	for _, s := range spawns {
		if got := s.proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
			t.Fatalf("signals %v, want SIGTERM", got)
		}
	}
	if !slices.ContainsFunc(n.messages(), func(m string) bool { return strings.HasPrefix(m, "STOPPING") }) {
		t.Fatalf("no STOPPING sent: %q", n.messages())
	}
	p.exit(spawns[0].req.ID, 0)
	p.advance(5 * time.Second)
	if got := spawns[1].proc.signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Fatalf("signals %v, want SIGTERM then SIGKILL", got)
	}
	if got := len(p.spawns()); got != 2 {
		t.Fatalf("spawned during shutdown: %d", got)
	}
	p.sup.post(Exited{ID: spawns[1].req.ID, Status: ExitStatus{Signal: syscall.SIGKILL}})
	if err := <-p.runErr; err != nil {
		t.Fatalf("Run = %v, want nil after a drain", err)
	}
}

func TestWatchdogPingsFromTheLoop(t *testing.T) {
	n := &fakeNotifier{interval: time.Second}
	p := startPool(t, Options{Workers: 1}, n)
	count := func() int {
		p.status()
		c := 0
		for _, m := range n.messages() {
			if m == "WATCHDOG" {
				c++
			}
		}
		return c
	}
	p.advance(0)
	if got := count(); got != 1 {
		t.Fatalf("%d pings at start, want 1", got)
	}
	p.advance(time.Second - time.Millisecond)
	if got := count(); got != 1 {
		t.Fatalf("%d pings before the interval, want 1", got)
	}
	p.advance(time.Millisecond)
	if got := count(); got != 2 {
		t.Fatalf("%d pings after the interval, want 2", got)
	}
}

// A worker that floods its notify socket with bad datagrams gets a few
// warnings an interval and one line counting the rest, each naming only the
// first bad line of its datagram.
func TestMalformedNotifyWarningsAreLimited(t *testing.T) {
	p := startPool(t, Options{Workers: 1}, nil)
	w := p.spawns()[0]
	bad := []byte(strings.Repeat("x\n", notify.MaxDatagram/2))
	for range 1000 {
		m, err := notify.Parse(bad)
		p.sup.post(Notified{ID: w.req.ID, Datagram: notify.Datagram{Message: m, Err: err}})
	}
	p.status()
	if got := p.logs.Count("malformed notify message"); got != logging.WarnBurst {
		t.Fatalf("%d warnings for 1000 bad datagrams, want %d", got, logging.WarnBurst)
	}
	if got := p.logs.Count("(and 2047 more bad lines)"); got != logging.WarnBurst {
		t.Errorf("%d warnings count the datagram's other bad lines, want %d", got, logging.WarnBurst)
	}
	p.advance(logging.WarnEvery)
	if got := p.logs.Count(fmt.Sprintf("%d more suppressed", 1000-logging.WarnBurst)); got != 1 {
		t.Errorf("%d summaries of the suppressed warnings, want 1", got)
	}
}
