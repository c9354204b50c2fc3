package e2e

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// SIGTERM drains the pool: a request in flight is answered, poold exits 0
// and no worker is left.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	url := "http://" + p.addr()
	p.waitReady()
	workers := answersFrom(t, url+"/", 2)

	type result struct {
		a   answer
		err error
	}
	slow := make(chan result, 1)
	go func() {
		a, err := get(url + "/slow?ms=1500")
		slow <- result{a, err}
	}()
	_, m := p.waitLog(`(?:^|\] )e2e-helper: slow request started pid=(\d+)$`, bound) // prefixed by poold
	p.signal(syscall.SIGTERM)
	select {
	case r := <-slow:
		if r.err != nil {
			t.Fatalf("request in flight at SIGTERM: %v", r.err)
		}
		if itoa(r.a.PID) != m[1] {
			t.Errorf("slow request answered by %d, started by %s", r.a.PID, m[1])
		}
	case <-time.After(bound):
		t.Fatal("no answer to the request in flight at SIGTERM")
	}
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d after draining, want 0", code)
	}
	for pid := range workers {
		if err := unix.Kill(pid, 0); !errors.Is(err, unix.ESRCH) {
			t.Errorf("worker %d still exists after poold exited (kill 0: %v)", pid, err)
		}
	}
}

// A worker that ignores SIGTERM gets SIGKILL once --stop-timeout has passed,
// and poold exits.
func TestWorkerIgnoringSIGTERMIsKilledAfterStopTimeout(t *testing.T) {
	t.Parallel()
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1", "--stop-timeout", "1s"}, helper: "ignore-term"})
	p.waitReady()
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	kill, _ := p.waitLog(`WRN worker still running after stop timeout, sending SIGKILL `, bound)
	if waited := kill.at.Sub(sent); waited < time.Second {
		t.Errorf("SIGKILL %v after SIGTERM, before --stop-timeout 1s", waited)
	}
	p.waitLog(`INF worker exited .*\bstatus="killed by signal 9 `, bound)
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d, want 0", code)
	}
}
