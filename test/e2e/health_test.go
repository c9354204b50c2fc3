package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nodeHealthPool runs testdata/health/server.js under poold.
func nodeHealthPool(t *testing.T, workers int, env []string, flags ...string) (*pool, string, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	needTool(t, err == nil, "node", "apt-get install nodejs")
	app, err := filepath.Abs(filepath.Join("testdata", "health", "server.js"))
	if err != nil {
		t.Fatal(err)
	}
	return healthPool(t, spec{command: []string{node, "--expose-gc", app}, env: env}, workers, flags...)
}

func healthPool(t *testing.T, s spec, workers int, flags ...string) (*pool, string, string) {
	t.Helper()
	name := uniqueName(t)
	s.args = append([]string{"--name", name, "--listen", "127.0.0.1:0", "--workers", itoa(workers)}, flags...)
	p := start(t, s)
	addr := p.addr()
	p.waitReady()
	return p, name, addr
}

// A worker that stops sending WATCHDOG=1 is replaced: its successor starts
// first, then it is stopped gracefully; the worker that keeps beating stays.
func TestWorkerThatStopsHeartbeatingIsReplaced(t *testing.T) {
	t.Parallel()
	p, name, _ := healthPool(t, spec{helper: "health-serve"}, 2, "--worker-watchdog", "1s")
	mustPoolctl(t, nil, "signal", name, "USR1", "0")
	_, m := p.waitLog(`WRN recycling worker .*\bslot=0 pid=(\d+) .*\breason=watchdog\b`, bound)
	p.waitLog(`INF recycle complete .*\bslot=0\b`, bound)
	p.waitSeen(`INF worker exited .*\bpid=`+m[1]+` .*status="exit code 0" reason="recycled: watchdog: no heartbeat for`, bound)
	if p.sawLog(`recycling worker .*\bslot=1\b`) {
		t.Error("slot 1 was recycled although it kept sending heartbeats")
	}
}

// A Node.js worker whose event loop hangs stops sending its channel
// heartbeats: it is replaced, and SIGKILLed once it ignores SIGTERM.
func TestHungNodeWorkerIsReplaced(t *testing.T) {
	t.Parallel()
	p, _, addr := nodeHealthPool(t, 2, nil, "--worker-watchdog", "2s", "--stop-timeout", "2s")
	go func() { // never answered
		c := &http.Client{Timeout: bound}
		if resp, err := c.Get("http://" + addr + "/hang"); err == nil {
			resp.Body.Close()
		}
	}()
	_, m := p.waitLog(`hanging pid=(\d+)`, bound)
	p.waitLog(`WRN recycling worker .*\bpid=`+m[1]+` .*\breason=watchdog\b`, bound)
	p.waitLog(`INF recycle complete`, bound)
	p.waitLog(`WRN worker still running after stop timeout, sending SIGKILL .*\bpid=`+m[1]+`\b`, bound)
	p.waitLog(`INF worker exited .*\bpid=`+m[1]+` .*status="killed by signal 9`, bound)
}

// A worker that grows past --recycle-memory for --recycle-memory-for is
// recycled replacement-first, and no request fails meanwhile, not even on
// kept-alive connections of clients that never retry.
func TestMemoryRecycleUnderLoadFailsNoRequest(t *testing.T) {
	t.Parallel()
	p, name, addr := nodeHealthPool(t, 2, nil, "--recycle-memory", "120M", "--recycle-memory-for", "1s")
	underLoad(t, addr, "memory recycle", func() {
		mustPoolctl(t, nil, "signal", name, "USR2", "0")
		_, m := p.waitLog(`WRN recycling worker .*\bslot=0 pid=(\d+) .*\breason=memory\b.*detail="memory \d+MiB above 120MiB`, bound)
		p.waitLog(`INF recycle complete .*\bslot=0\b`, bound)
		p.waitSeen(`INF worker exited .*\bpid=`+m[1]+` .*status="exit code 0"`, bound)
	})
}

// A memory spike shorter than --recycle-memory-for recycles nothing:
// worker 1 is above the limit for 1s, worker 2 for 8s, with 3s allowed.
// Worker 2 is recycled; worker 1, whose slot is checked first, is not.
func TestShortMemorySpikeDoesNotRecycle(t *testing.T) {
	t.Parallel()
	env := []string{"SPIKE_PLAN=1:1000,2:8000", "SPIKE_ABOVE_MIB=120"}
	p, _, _ := nodeHealthPool(t, 2, env, "--recycle-memory", "120M", "--recycle-memory-for", "3s")
	p.waitSeen(`spike over`, bound) // worker 1's
	start := time.Now()
	p.waitLog(`WRN recycling worker .*\bslot=1 .*\breason=memory\b`, bound)
	if p.sawLog(`recycling worker .*\bslot=0\b`) {
		t.Error("worker 1 was recycled for a spike shorter than --recycle-memory-for")
	}
	t.Logf("worker 2 recycled %v after worker 1's spike ended", time.Since(start).Round(time.Millisecond))
}
