package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// count is the requests of one kind of client, and how many failed.
type count struct{ requests, failed int }

// loadFigures is what the clients of measureUnderLoad saw, by kind.
type loadFigures struct {
	// keepAlive: net/http clients on one kept-alive connection each; a GET
	// that fails on a reused connection is retried on a new one.
	keepAlive count
	// newConns: net/http clients on a new connection per request, which
	// retry nothing.
	newConns count
	// raw: clients on one kept-alive connection each that never retry, as
	// autocannon; rawCloses counts the connections the server closed.
	raw       count
	rawCloses int
	// during: requests that began while the measured action ran.
	during     int
	endedEarly int // clients that ended before they were stopped
	errs       []string
}

func (f loadFigures) failed() int { return f.keepAlive.failed + f.newConns.failed + f.raw.failed }

func (f loadFigures) String() string {
	return fmt.Sprintf("failed: %d of %d on kept-alive connections, %d of %d on new connections, %d of %d on kept-alive connections without retry (%d closed by the server)",
		f.keepAlive.failed, f.keepAlive.requests, f.newConns.failed, f.newConns.requests, f.raw.failed, f.raw.requests, f.rawCloses)
}

// measureUnderLoad runs do while clients ask GET / at addr: net/http
// clients on kept-alive and on new connections (startLoad), and kept-alive
// clients that never retry (startRawLoad); then 50 more requests on new
// connections, so that the load goes on a little after do.
func measureUnderLoad(t *testing.T, addr string, do func()) loadFigures {
	t.Helper()
	url := "http://" + addr + "/"
	l := startLoad(t, url, 4)
	l.waitWarm(t)
	raw := startRawLoad(t, addr, 2)
	l.setPhase(1)
	do()
	l.setPhase(2)
	var f loadFigures
	for range 50 {
		f.newConns.requests++
		if _, err := get(url); err != nil {
			f.newConns.failed++
			f.errs = append(f.errs, "after it: "+err.Error())
		}
	}
	l.halt()
	raw.halt()
	for _, r := range l.results {
		c := &f.newConns
		if r.keepAlive {
			c = &f.keepAlive
		}
		c.requests += r.requests
		c.failed += r.failures
		f.errs = append(f.errs, r.errs...)
		f.during += r.byPhase[1]
		if r.endedEarly {
			f.endedEarly++
		}
	}
	for _, r := range raw.results {
		f.raw.requests += r.requests
		f.raw.failed += r.failures
		f.rawCloses += r.closes
		f.errs = append(f.errs, r.errs...)
	}
	return f
}

// check fails t for any failed request, for a load cut short by its own
// bounds, for fewer than min requests of a kind, and for none made while
// the measured action ran.
func (f loadFigures) check(t *testing.T, what string, min int) {
	t.Helper()
	if f.failed() > 0 {
		t.Errorf("%s: %v; the first ones:\n\t%s", what, f, strings.Join(f.errs, "\n\t"))
	}
	if f.endedEarly > 0 {
		t.Errorf("%s: %d clients ended before the test stopped them (deadline %v, or %d requests each)", what, f.endedEarly, loadDeadline, loadMaxRequests)
	}
	for kind, c := range map[string]count{"kept-alive": f.keepAlive, "new-connection": f.newConns, "raw kept-alive": f.raw} {
		if c.requests < min {
			t.Errorf("%s: only %d %s requests were made, want at least %d", what, c.requests, kind, min)
		}
	}
	if f.during == 0 {
		t.Errorf("%s: no request was made while it ran", what)
	}
}

// underLoad runs do under measureUnderLoad's load and fails t as check
// says.
func underLoad(t *testing.T, addr, what string, do func()) {
	t.Helper()
	f := measureUnderLoad(t, addr, do)
	t.Logf("%s: %v", what, f)
	f.check(t, what, 50)
}

// reloadsUnderLoad reloads p's pool of n workers the given number of
// times under measureUnderLoad's load, each time until every worker it
// replaced has exited, and returns what the clients saw.
func reloadsUnderLoad(t *testing.T, p *pool, addr string, workers, reloads int) loadFigures {
	t.Helper()
	return measureUnderLoad(t, addr, func() {
		for gen := 2; gen <= 1+reloads; gen++ {
			p.signal(syscall.SIGHUP)
			p.waitReloaded(gen, workers)
			for pid, g := range startedWorkers(p.logs.all()) {
				if g == gen-1 { // the old workers drain after "reload complete"
					p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b`, bound)
				}
			}
		}
	})
}

// reloadPool runs a pool of 3 workers as s says (its args beside --listen
// and --workers) and reloads it 3 times under measureUnderLoad's load.
func reloadPool(t *testing.T, s spec, what string) (*pool, loadFigures) {
	t.Helper()
	const workers, reloads = 3, 3
	s.args = append([]string{"--listen", "127.0.0.1:0", "--workers", itoa(workers)}, s.args...)
	p := start(t, s)
	addr := p.addr()
	p.waitReady()
	f := reloadsUnderLoad(t, p, addr, workers, reloads)
	t.Logf("%s, %d reloads of %d workers: %v", what, reloads, workers, f)
	return p, f
}

// waitReplacedExitedZero waits for every worker of a generation before
// last to exit, and fails t unless each exited with code 0.
func (p *pool) waitReplacedExitedZero(last int) {
	p.t.Helper()
	for pid, gen := range startedWorkers(p.logs.all()) {
		if gen < last {
			p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b.*\bstatus="exit code 0"`, bound)
		}
	}
}
