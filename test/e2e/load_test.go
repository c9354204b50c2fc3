package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// Bounds of a load: it ends when the test stops it, and at the latest at
// loadDeadline (a few of a test's waits, each within bound) or after
// loadMaxRequests requests per client. A test reports a load that ended
// before it was stopped. A request not answered within loadRequestTimeout
// fails. Both times grow with $POOLD_TEST_TIMEOUT_FACTOR.
var (
	loadDeadline       = 3 * bound
	loadRequestTimeout = testbound.Scale(5 * time.Second)
)

const (
	loadMaxRequests = 100_000
	loadErrsKept    = 5 // failures quoted per client
)

// load is a few clients asking GET / in a loop while a test does something
// to the pool: the even-numbered ones over one kept-alive connection each,
// the odd ones on a new connection per request. Every answer is recorded
// under the phase the test had set when its request started.
type load struct {
	phase     atomic.Int32
	completed atomic.Int64 // requests answered or failed so far
	stopped   chan struct{}
	stopOnce  sync.Once
	warm      chan struct{} // closed once every client has had a request end
	done      chan struct{} // closed once every client has returned
	results   []*loadResult // one per client; read once done is closed
	began     time.Time
}

// loadResult is what one client saw. Only its goroutine writes it.
type loadResult struct {
	keepAlive  bool
	requests   int
	failures   int
	errs       []string
	byPhase    map[int32]int            // requests started in each phase
	seen       map[int32]map[int]string // phase -> answering PID -> its generation
	endedEarly bool                     // by the deadline or the request count
}

func startLoad(t *testing.T, url string, clients int) *load {
	t.Helper()
	l := &load{stopped: make(chan struct{}), warm: make(chan struct{}), done: make(chan struct{}), began: time.Now()}
	deadline := l.began.Add(loadDeadline)
	var all, warm sync.WaitGroup
	for i := range clients {
		r := &loadResult{keepAlive: i%2 == 0, byPhase: map[int32]int{}, seen: map[int32]map[int]string{}}
		l.results = append(l.results, r)
		all.Add(1)
		warm.Add(1)
		go func() {
			defer all.Done()
			l.run(url, r, deadline, sync.OnceFunc(warm.Done))
		}()
	}
	go func() { warm.Wait(); close(l.warm) }() // ends: every client calls its warm.Done, at the latest on return
	go func() { all.Wait(); close(l.done) }()
	t.Cleanup(func() { l.halt() })
	return l
}

func (l *load) run(url string, r *loadResult, deadline time.Time, warmed func()) {
	defer warmed()
	tr := &http.Transport{DisableKeepAlives: !r.keepAlive}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: loadRequestTimeout}
	for {
		select {
		case <-l.stopped:
			return
		default:
		}
		if r.requests >= loadMaxRequests || time.Now().After(deadline) {
			r.endedEarly = true
			return
		}
		phase := l.phase.Load()
		a, err := getWith(c, url)
		r.requests++
		r.byPhase[phase]++
		l.completed.Add(1)
		warmed()
		if err != nil {
			r.failures++
			if len(r.errs) < loadErrsKept {
				r.errs = append(r.errs, fmt.Sprintf("phase %d, keep-alive %v, %v: %v", phase, r.keepAlive, time.Since(l.began).Round(time.Millisecond), err))
			}
			continue
		}
		if r.seen[phase] == nil {
			r.seen[phase] = map[int]string{}
		}
		r.seen[phase][a.PID] = a.Generation
	}
}

// setPhase tags the requests that start from now on.
func (l *load) setPhase(phase int) { l.phase.Store(int32(phase)) }

// waitWarm waits until every client has made a request.
func (l *load) waitWarm(t *testing.T) {
	t.Helper()
	select {
	case <-l.warm:
	case <-time.After(bound):
		t.Fatalf("the load's clients made no request within %v", bound)
	}
}

// halt stops the clients and waits for them: a request in flight ends
// within loadRequestTimeout.
func (l *load) halt() {
	l.stopOnce.Do(func() { close(l.stopped) })
	<-l.done
}

// loadSummary is what every client saw, together.
type loadSummary struct {
	requests, failures int
	errs               []string
	byPhase            map[int32]int
	seen               map[int32]map[int]string
	endedEarly         int // clients that ended before they were stopped
	took               time.Duration
}

// stop halts the load and sums up what its clients saw.
func (l *load) stop() loadSummary {
	l.halt()
	s := loadSummary{byPhase: map[int32]int{}, seen: map[int32]map[int]string{}, took: time.Since(l.began)}
	for _, r := range l.results {
		s.requests += r.requests
		s.failures += r.failures
		s.errs = append(s.errs, r.errs...)
		if r.endedEarly {
			s.endedEarly++
		}
		for phase, n := range r.byPhase {
			s.byPhase[phase] += n
		}
		for phase, pids := range r.seen {
			for pid, gen := range pids {
				s.see(phase, answer{PID: pid, Generation: gen})
			}
		}
	}
	return s
}

func (s *loadSummary) see(phase int32, a answer) {
	if s.seen[phase] == nil {
		s.seen[phase] = map[int]string{}
	}
	s.seen[phase][a.PID] = a.Generation
}

// check fails t for any failed request, for a load cut short by its own
// bounds, and for fewer requests than min.
func (s loadSummary) check(t *testing.T, min int) {
	t.Helper()
	t.Logf("load: %d requests, %d failed, in %v; by phase %v", s.requests, s.failures, s.took.Round(time.Millisecond), s.byPhase)
	if s.failures > 0 {
		t.Errorf("%d of %d requests failed; the first ones:\n\t%s", s.failures, s.requests, strings.Join(s.errs, "\n\t"))
	}
	if s.endedEarly > 0 {
		t.Errorf("%d clients ended before the test stopped them (deadline %v, or %d requests each)", s.endedEarly, loadDeadline, loadMaxRequests)
	}
	if s.requests < min {
		t.Errorf("only %d requests were made, want at least %d", s.requests, min)
	}
}
