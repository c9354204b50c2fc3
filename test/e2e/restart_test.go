package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// A worker killed behind poold's back is replaced in its slot, and the
// replacement serves.
func TestKilledWorkerIsReplacedInItsSlot(t *testing.T) {
	t.Parallel()
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	var victim answer
	for _, a := range answersFrom(t, url, 2) {
		victim = a
	}
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	slotPID := `\bslot=` + victim.Slot + ` pid=`
	p.waitLog(`WRN worker exited unexpectedly .*`+slotPID+itoa(victim.PID)+`\b.*\bstatus="killed by signal 9`, bound)
	_, m := p.waitLog(`INF worker started .*`+slotPID+`(\d+)\b`, bound)
	p.waitLog(`INF worker ready .*`+slotPID+m[1]+`\b`, bound)
	if a := answerFrom(t, url, atoi(t, m[1])); a.Slot != victim.Slot {
		t.Errorf("replacement %d answers from slot %q, want %q", a.PID, a.Slot, victim.Slot)
	}
}

// A worker that exits at once is restarted with a delay that doubles up to
// --restart-delay-max, and the slot is reported as crash-looping.
func TestCrashLoopBacksOff(t *testing.T) {
	t.Parallel()
	p := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", "1", "--restart-delay", "50ms", "--restart-delay-max", "400ms"},
		helper: "exit3",
	})
	checkBackoff(t, p, `"exit code 3"`, 50*time.Millisecond, 400*time.Millisecond, 7)
	if !p.sawLog(`ERR slot is crash-looping; .*\bslot=0\b`) {
		t.Error("poold did not report the crash loop")
	}
}

// A command removed after poold started (the check at start passed) exits
// 127 in the trampoline; poold keeps running and backs off instead of
// forking without pause.
func TestRemovedCommandBacksOff(t *testing.T) {
	t.Parallel()
	worker := filepath.Join(t.TempDir(), "e2e-worker")
	if err := os.WriteFile(worker, []byte("#!/bin/sh\nrm -f \"$0\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := start(t, spec{
		args:    []string{"--listen", "127.0.0.1:0", "--workers", "1", "--restart-delay", "50ms", "--restart-delay-max", "200ms"},
		command: []string{worker},
	})
	p.waitLog(`WRN worker exited unexpectedly .*\bstatus="exit code 3"`, bound)
	for range 3 {
		p.waitLog(`WRN worker exited unexpectedly .*\bstatus="exit code 127 .*\brestart_in=(50|100|200)ms\b`, bound)
	}
	if !p.sawLog(`worker command "` + regexp.QuoteMeta(worker) + `"`) {
		t.Error("nothing names the missing command")
	}
	if !p.running() {
		t.Errorf("poold exited (%v); it must keep retrying", p.cmd.ProcessState)
	}
}

// readLag is how much later than written a log line may be read, when the
// machine is busy: a margin for checks on the time between lines. It grows
// with $POOLD_TEST_TIMEOUT_FACTOR.
var readLag = testbound.Scale(250 * time.Millisecond)

// checkBackoff follows the given number of crashes of the one worker of p,
// each with the given status. The restart delays poold announces must start
// at initial, never shrink, reach max and stay there; the restarts must take
// no less time, together, than those delays; and there must be one start per
// exit, no more.
func checkBackoff(t *testing.T, p *pool, status string, initial, max time.Duration, exits int) {
	t.Helper()
	p.waitLog(`INF worker started .*\bslot=0\b`, bound)
	var delays []time.Duration
	var firstExit, lastStart logLine
	for i := range exits {
		exit, m := p.waitLog(`WRN worker exited unexpectedly .*\bstatus=`+regexp.QuoteMeta(status)+`.*\brestart_in=(\S+)`, bound)
		d, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatalf("restart_in=%q: %v", m[1], err)
		}
		delays = append(delays, d)
		if i == 0 {
			firstExit = exit
		}
		lastStart, _ = p.waitLog(`INF worker started .*\bslot=0\b`, bound)
	}
	var total time.Duration
	for i, d := range delays {
		total += d
		switch {
		case i == 0 && d != initial:
			t.Errorf("first restart_in=%v, want --restart-delay %v", d, initial)
		case i > 0 && d < delays[i-1]:
			t.Errorf("restart_in went down from %v to %v: %v", delays[i-1], d, delays)
		case d > max:
			t.Errorf("restart_in=%v is above --restart-delay-max %v: %v", d, max, delays)
		}
	}
	if last := delays[len(delays)-1]; last != max {
		t.Errorf("restart_in reached %v after %d exits, want %v: %v", last, exits, max, delays)
	}
	if took := lastStart.at.Sub(firstExit.at); took < total-readLag {
		t.Errorf("%d restarts took %v, less than their delays %v (%v)", exits, took, delays, total)
	}
	starts := 0
	for _, l := range p.passed() {
		if workerStarted.MatchString(l.text) {
			starts++
		}
	}
	if starts != exits+1 {
		t.Errorf("%d workers started for %d exits of a one-worker pool, want %d", starts, exits, exits+1)
	}
}
