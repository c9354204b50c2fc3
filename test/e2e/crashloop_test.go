package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// A bad deploy makes every slot crash-loop. A reload of the same broken
// code fails at once: poolctl exits 1 and the pool keeps its generation. A
// reload of fixed code starts every slot at once, without waiting out the
// slots' restart delays, and succeeds.
func TestReloadOfACrashLoopingPool(t *testing.T) {
	t.Parallel()
	const workers = 2
	readyTimeout := testbound.Scale(5 * time.Second)
	// A restart delay the fixed reload must not wait out, long enough that
	// starting two workers at once on a busy machine stays well inside it.
	long := testbound.Scale(10 * time.Second)
	modeEnv, setMode := modeFile(t)
	name := uniqueName(t)
	p := start(t, spec{
		args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", itoa(workers),
			"--ready-timeout", readyTimeout.String(), "--restart-delay", "100ms", "--restart-delay-max", "1h"},
		helper: "serve-unless-broken",
		env:    []string{modeEnv},
	})
	url := "http://" + p.addr() + "/"
	p.waitReady()

	setMode("broken")
	mustPoolctl(t, nil, "signal", name, "KILL")
	for slot := range workers {
		p.waitSeen(`ERR slot is crash-looping; .*\bslot=`+itoa(slot)+`\b`, bound)
	}
	began := time.Now()
	r := poolctl(t, "", nil, "reload", name)
	took := time.Since(began)
	if r.code != 1 || !strings.Contains(r.stderr, "reload to generation 2 stopped at slot") {
		t.Fatalf("reload of broken code: %v; want exit 1 and the reason", r)
	}
	t.Logf("the reload of broken code failed after %v", took)
	if took >= readyTimeout {
		t.Errorf("the failed reload took %v, want less than the ready timeout %v", took, readyTimeout)
	}
	if st := statusOf(t, nil, name); st.Pool.Generation != 1 {
		t.Errorf("generation %d after the failed reload, want 1", st.Pool.Generation)
	}

	p.waitLog(`ERR reload failed .*\bgeneration=2\b`, bound)
	seen := waitRestartDelays(t, p, workers, long)
	setMode("ok")
	out := mustPoolctl(t, nil, "reload", name)
	took = time.Since(seen)
	if !strings.Contains(out, name+": reloaded to generation 3\n") {
		t.Errorf("reload of fixed code printed %q, want generation 3", out)
	}
	t.Logf("the reload of fixed code succeeded %v after the slots' restart delays reached %v", took, long)
	if took >= long*3/4 {
		t.Errorf("the fixed reload ended %v after the slots began a restart delay of %v or more, want it to start them at once", took, long)
	}
	if st := statusOf(t, nil, name); st.Pool.Generation != 3 || st.Pool.ReadyWorkers != workers {
		t.Errorf("after the fixed reload: generation %d, %d ready; want 3 and %d", st.Pool.Generation, st.Pool.ReadyWorkers, workers)
	}
	for pid, a := range answersFrom(t, url, workers) {
		if a.Generation != "3" {
			t.Errorf("worker %d answers as generation %q, want 3", pid, a.Generation)
		}
	}
}

// waitRestartDelays waits until every slot of the pool has crashed and
// waits at least d to restart, and returns when it saw the first of those.
func waitRestartDelays(t *testing.T, p *pool, slots int, d time.Duration) time.Time {
	t.Helper()
	long := map[string]bool{}
	var first time.Time
	for len(long) < slots {
		_, m := p.waitLog(`WRN worker exited unexpectedly .*\bslot=(\d+) .*\brestart_in=(\S+)`, bound)
		delay, err := time.ParseDuration(m[2])
		if err != nil {
			t.Fatalf("restart_in=%s: %v", m[2], err)
		}
		if delay >= d && !long[m[1]] {
			long[m[1]] = true
			if first.IsZero() {
				first = time.Now()
			}
		}
	}
	return first
}
