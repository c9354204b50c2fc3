package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A pool started by hand, the README's way, with no bus configured: poolctl
// finds it on the private bus poold started, and shows what it serves.
func TestPoolctlFindsAPoolStartedByHand(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	answers := answersFrom(t, url, 2)

	st := statusOf(t, nil, name)
	if st.Pool.Name != name || st.Pool.Bus != "private" || st.Pool.MainPID != p.cmd.Process.Pid {
		t.Errorf("status: pool %+v; want %s on a private bus, main PID %d", st.Pool, name, p.cmd.Process.Pid)
	}
	for _, pid := range st.workerPIDs() {
		if _, ok := answers[pid]; !ok {
			t.Errorf("status lists worker %d, which did not answer; the workers are %v", pid, keys(answers))
		}
	}
	if len(st.workerPIDs()) != 2 {
		t.Errorf("status shows %d ready workers, want 2: %+v", len(st.workerPIDs()), st.Workers)
	}
	list := mustPoolctl(t, nil, "list")
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+private\s+running\s+2/2\b`).MatchString(list) {
		t.Errorf("poolctl list does not show %s running 2/2 on the private bus:\n%s", name, list)
	}
	human := mustPoolctl(t, nil, "status", name)
	for _, want := range []string{"● " + name, "running, 2/2 workers ready", "SLOT", itoa(st.Workers[0].PID)} {
		if !strings.Contains(human, want) {
			t.Errorf("poolctl status lacks %q:\n%s", want, human)
		}
	}
	if r := poolctl(t, "", nil, "status", name+"-nonesuch"); r.code != 1 || !strings.Contains(r.stderr, "no pool named") {
		t.Errorf("status of a pool that does not exist: %v; want exit 1 and 'no pool named'", r)
	}
}

// Three rolling reloads in a row through poolctl, then a scale up and a
// scale down, while clients keep asking: no request fails, every reload
// replaces every worker, and each change takes effect.
func TestPoolctlReloadAndScaleUnderLoadDropNothing(t *testing.T) {
	t.Parallel()
	const workers, reloads, minRequests = 2, 3, 200
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", itoa(workers)}, helper: "drain-serve"})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	before := statusOf(t, nil, name).workerPIDs()

	l := startLoad(t, url, 4)
	l.waitWarm(t)
	for gen := 2; gen <= 1+reloads; gen++ {
		l.setPhase(gen - 1)
		out := mustPoolctl(t, nil, "reload", name)
		if !strings.Contains(out, name+": reloaded to generation "+itoa(gen)) {
			t.Errorf("poolctl reload printed:\n%s\nwant 'reloaded to generation %d'", out, gen)
		}
		for slot := range workers {
			if !strings.Contains(out, "slot "+itoa(slot)+": worker ") {
				t.Errorf("poolctl reload showed no progress for slot %d:\n%s", slot, out)
			}
		}
		after := statusOf(t, nil, name)
		if after.Pool.Generation != gen {
			t.Errorf("after reload %d the pool is at generation %d", gen-1, after.Pool.Generation)
		}
		for slot, pid := range after.workerPIDs() {
			if before[slot] == pid {
				t.Errorf("reload %d: slot %d still has worker %d", gen-1, slot, pid)
			}
		}
		before = after.workerPIDs()
	}

	l.setPhase(10)
	mustPoolctl(t, nil, "scale", name, "4")
	for slot := 2; slot < 4; slot++ {
		p.waitSeen(`INF worker ready .*\bslot=`+itoa(slot)+` `, bound)
	}
	if st := statusOf(t, nil, name); st.Pool.TargetWorkers != 4 {
		t.Errorf("after scale 4 the target is %d", st.Pool.TargetWorkers)
	}
	l.setPhase(11)
	mustPoolctl(t, nil, "scale", name, "1")
	for slot := 1; slot < 4; slot++ {
		p.waitSeen(`INF worker exited .*\bslot=`+itoa(slot)+` .*reason="slot above the target count"`, bound)
	}
	sum := l.stop()
	sum.check(t, minRequests)
	if st := statusOf(t, nil, name); len(st.Workers) != 1 || st.Pool.ReadyWorkers != 1 {
		t.Errorf("after scale 1: %d workers, %d ready; want 1", len(st.Workers), st.Pool.ReadyWorkers)
	}
	for _, phase := range []int32{1, 2, 3, 10, 11} {
		if sum.byPhase[phase] == 0 {
			t.Errorf("no request was made in phase %d: the load did not overlap it", phase)
		}
	}
}

// A reload whose new workers exit at once fails through poolctl with the
// reason and a non-zero exit; the old workers keep serving every request.
func TestPoolctlReloadOfBrokenWorkersFails(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	mode := filepath.Join(t.TempDir(), "mode")
	if err := os.WriteFile(mode, []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, spec{
		args:   []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"},
		helper: "serve-unless-broken",
		env:    []string{modeFileEnv + "=" + mode},
	})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	old := statusOf(t, nil, name).workerPIDs()
	l := startLoad(t, url, 2)
	l.waitWarm(t)
	if err := os.WriteFile(mode, []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.setPhase(1)
	r := poolctl(t, "", nil, "reload", name)
	if r.code != 1 || !strings.Contains(r.stderr, "stopped at slot 0") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("reload of broken workers: %v; want exit 1 and one line naming slot 0", r)
	}
	sum := l.stop()
	sum.check(t, 50)
	for pid := range sum.seen[1] {
		if old[0] != pid && old[1] != pid {
			t.Errorf("worker %d answered during the failed reload; want the old workers %v only", pid, old)
		}
	}
	st := statusOf(t, nil, name)
	if got := st.workerPIDs(); got[0] != old[0] || got[1] != old[1] {
		t.Errorf("after the failed reload the workers are %v, want the old %v", got, old)
	}
}
