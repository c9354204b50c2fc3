package e2e

import (
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// SIGHUP replaces every worker, slot by slot, while clients keep asking, on
// kept-alive connections and on new ones: no request fails, and once the
// old workers are gone only the last generation answers.
func TestReloadUnderLoadDropsNothing(t *testing.T) {
	t.Parallel()
	const (
		workers       = 3
		reloads       = 3
		last          = 1 + reloads // the generation the last reload starts
		burstRequests = 50          // at least, after the last reload
		minRequests   = 200
	)
	// drain-serve, not serve: http.Server.Shutdown alone drops a request on
	// a connection accepted just before it (see package worker).
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", itoa(workers)}, helper: "drain-serve"})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	first := answersFrom(t, url, workers)

	l := startLoad(t, url, 4)
	l.waitWarm(t)
	var during []int64 // requests that ended while each reload ran
	for gen := 2; gen <= last; gen++ {
		l.setPhase(gen - 1)
		p.signal(syscall.SIGHUP)
		p.waitLog(`INF reload started .*\bgeneration=`+itoa(gen)+`\b`, bound)
		ended := l.completed.Load()
		p.waitLog(`INF reload complete .*\bgeneration=`+itoa(gen)+` replaced=`+itoa(workers)+`\b`, bound)
		during = append(during, l.completed.Load()-ended)
	}
	// The workers replaced last drain after "reload complete". Once every
	// older worker has exited, only the last generation can answer.
	started := startedWorkers(p.logs.all())
	for pid, gen := range started {
		if gen < last {
			p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b`, bound)
		}
	}
	l.setPhase(last)
	burst := map[int]answer{}
	for i, until := 0, askUntil(); i < burstRequests || (len(burst) < workers && time.Now().Before(until)); i++ {
		a, err := get(url)
		if err != nil {
			t.Fatalf("request %d after the last reload: %v", i, err)
		}
		burst[a.PID] = a
	}
	sum := l.stop()

	sum.check(t, minRequests)
	t.Logf("requests that ended while each reload ran: %v", during)
	for i, n := range during {
		if n == 0 {
			t.Errorf("no request ended while reload %d ran: the load did not overlap it", i+1)
		}
	}
	checkReplacedOnlyWhenReady(t, p.logs.all(), workers, 2, last)
	for _, a := range burst {
		sum.see(last, a)
	}
	checkGenerations(t, started, sum.seen)
	before := map[int]bool{}
	for pid := range first {
		before[pid] = true
	}
	for pid := range sum.seen[0] {
		before[pid] = true
	}
	for pid, gen := range sum.seen[last] {
		if before[pid] || gen != itoa(last) {
			t.Errorf("worker %d of generation %q answered after the last reload; want new workers of generation %d only (before the first reload: %v)", pid, gen, last, keysOf(before))
		}
	}
	if len(burst) != workers {
		t.Errorf("after the last reload %d distinct workers answered, want %d: %v", len(burst), workers, keys(burst))
	}
}

// A reload whose new workers fail to start stops at the first of them: the
// old workers keep serving, untouched, and poold runs on; the next SIGHUP,
// once the workers start again, completes.
func TestReloadWithBrokenNewWorkersKeepsOldOnes(t *testing.T) {
	t.Parallel()
	const (
		workers       = 2
		burstRequests = 50 // at least, after the failed reload
		minRequests   = 100
	)
	modeEnv, setMode := modeFile(t)
	p := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", itoa(workers), "--ready-timeout", "5s"},
		helper: "serve-unless-broken",
		env:    []string{modeEnv},
	})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	old := answersFrom(t, url, workers)
	l := startLoad(t, url, 2)
	l.waitWarm(t)

	l.setPhase(1)
	setMode("broken")
	p.signal(syscall.SIGHUP)
	p.waitLog(`INF reload started .*\bgeneration=2\b`, bound)
	_, m := p.waitLog(`INF worker started .*\bslot=0 pid=(\d+)\b.*\bgeneration=2\b`, bound)
	p.waitLog(`WRN new worker exited before it was ready .*\bslot=0 pid=`+m[1]+`\b.*\bstatus="exit code 3"`, bound)
	p.waitLog(`ERR reload failed .*\bgeneration=2 replaced=0 err="reload to generation 2 stopped at slot 0: `, bound)
	seen := map[int]bool{}
	n := 0
	for until := askUntil(); n < burstRequests || (len(seen) < workers && time.Now().Before(until)); n++ {
		a, err := get(url)
		if err != nil {
			t.Fatalf("request %d after the failed reload: %v", n, err)
		}
		if _, ok := old[a.PID]; !ok {
			t.Fatalf("worker %d of generation %q answered after the failed reload; want the old workers %v only", a.PID, a.Generation, keys(old))
		}
		seen[a.PID] = true
	}
	if len(seen) < workers {
		t.Fatalf("after the failed reload only old workers %v answered %d requests, want all of %v", keysOf(seen), n, keys(old))
	}
	if !p.running() {
		t.Fatalf("poold exited (%v) after a failed reload", p.cmd.ProcessState)
	}
	for pid := range old {
		if p.sawLog(`INF stopping worker .*\bpid=` + itoa(pid) + `\b`) {
			t.Errorf("the failed reload stopped old worker %d", pid)
		}
	}

	l.setPhase(2)
	setMode("ok")
	p.signal(syscall.SIGHUP)
	p.waitLog(`INF reload started .*\bgeneration=3\b`, bound)
	p.waitLog(`INF reload complete .*\bgeneration=3 replaced=`+itoa(workers)+`\b`, bound)
	sum := l.stop()

	sum.check(t, minRequests)
	if sum.byPhase[1] == 0 {
		t.Error("no request was made during the failed reload")
	}
	for pid, gen := range sum.seen[1] {
		if _, ok := old[pid]; !ok {
			t.Errorf("worker %d of generation %q answered during the failed reload; want the old workers %v only", pid, gen, keys(old))
		}
	}
	checkReplacedOnlyWhenReady(t, p.logs.all(), workers, 3, 3)
}

var (
	startedLine  = regexp.MustCompile(`INF worker started .*\bslot=(\d+) pid=(\d+)\b.*\bgeneration=(\d+)\b`)
	readyLine    = regexp.MustCompile(`INF worker ready .*\bslot=(\d+) pid=(\d+)\b`)
	replacedLine = regexp.MustCompile(`INF stopping worker .*\bslot=(\d+) pid=(\d+)\b.*\breason="replaced by generation (\d+)"`)
)

// startedWorkers returns the generation of every worker poold started, by
// PID.
func startedWorkers(lines []logLine) map[int]int {
	gens := map[int]int{}
	for _, l := range lines {
		if m := startedLine.FindStringSubmatch(l.text); m != nil {
			pid, _ := strconv.Atoi(m[2])
			gens[pid], _ = strconv.Atoi(m[3])
		}
	}
	return gens
}

// checkReplacedOnlyWhenReady checks poold's log for the promise of a rolling
// reload: a worker replaced by generation G got SIGTERM only after a worker
// of generation G was ready in its slot; and each generation from first to
// last replaced the given number of workers.
func checkReplacedOnlyWhenReady(t *testing.T, lines []logLine, workers, first, last int) {
	t.Helper()
	genOf := map[string]string{} // PID -> generation
	ready := map[string]bool{}   // "slot/generation" of each worker ready so far
	replaced := map[string]int{} // generation -> workers it replaced
	for _, l := range lines {
		if m := startedLine.FindStringSubmatch(l.text); m != nil {
			genOf[m[2]] = m[3]
		} else if m := readyLine.FindStringSubmatch(l.text); m != nil {
			ready[m[1]+"/"+genOf[m[2]]] = true
		} else if m := replacedLine.FindStringSubmatch(l.text); m != nil {
			replaced[m[3]]++
			if !ready[m[1]+"/"+m[3]] {
				t.Errorf("worker %s of slot %s got SIGTERM before a worker of generation %s, which replaces it, was ready in its slot:\n\t%s", m[2], m[1], m[3], l.text)
			}
		}
	}
	for g := first; g <= last; g++ {
		if n := replaced[itoa(g)]; n != workers {
			t.Errorf("generation %d replaced %d workers, want %d", g, n, workers)
		}
	}
}

// checkGenerations checks that every worker that answered reported, in
// $POOLD_GENERATION, the generation poold logged when it started it.
func checkGenerations(t *testing.T, started map[int]int, seen map[int32]map[int]string) {
	t.Helper()
	for _, pids := range seen {
		for pid, gen := range pids {
			if want, ok := started[pid]; !ok || gen != itoa(want) {
				t.Errorf("worker %d says POOLD_GENERATION=%q; poold started it as generation %d (logged: %v)", pid, gen, want, ok)
			}
		}
	}
}

func keysOf(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}
