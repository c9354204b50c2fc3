package e2e

import (
	"strings"
	"testing"
	"time"
)

// Under --worker-watchdog, a SIGSTOPped worker is recycled and, judged
// hung, gets SIGKILL a short grace after its SIGTERM, not after the (long)
// stop timeout. A worker that never sent a heartbeat is warned about once
// and never recycled by the watchdog.
func TestStoppedWorkerUnderWorkerWatchdog(t *testing.T) {
	t.Parallel()
	p, name, _ := healthPool(t, spec{helper: "health-serve", env: []string{silentSlotEnv + "=1"}}, 2,
		"--worker-watchdog", "1s", "--stop-timeout", "10m")
	pid := statusOf(t, nil, name).workerPIDs()[0]
	mustPoolctl(t, nil, "signal", name, "STOP", "0")
	p.waitLog(`WRN recycling worker .*\bslot=0 pid=`+itoa(pid)+` .*\breason=watchdog\b`, bound)
	stopping := p.waitSeen(`INF stopping worker .*\bpid=`+itoa(pid)+` .*\bkill_after=5s\b`, bound)
	p.waitSeen(`WRN worker still running after stop timeout, sending SIGKILL .*\bpid=`+itoa(pid)+` .*\btimeout=5s\b`, bound)
	exited := p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+` .*status="killed by signal 9`, bound)
	t.Logf("the stopped worker was gone %v after its SIGTERM (stop timeout 10m)", exited.at.Sub(stopping.at).Round(time.Millisecond))

	p.waitSeen(`WRN no heartbeat since start: .*\bslot=1\b`, bound)
	if p.sawLog(`recycling worker .*\bslot=1\b`) {
		t.Error("slot 1, which never sent a heartbeat, was recycled by the watchdog")
	}
	n := 0
	for _, l := range p.logs.all() {
		if strings.Contains(l.text, "no heartbeat since start") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d warnings about the worker without heartbeats, want 1", n)
	}
}
