package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// upgradeBuilds are builds of poold with other version strings, made once
// for the tests that upgrade between them.
var upgradeBuilds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// pooldBuild is a build of poold whose --version says v; failTakeover,
// when set, makes it fail to take over an upgrade and hand back.
func pooldBuild(t *testing.T, v, failTakeover string) string {
	t.Helper()
	upgradeBuilds.mu.Lock()
	defer upgradeBuilds.mu.Unlock()
	if bin, ok := upgradeBuilds.bins[v]; ok {
		return bin
	}
	if upgradeBuilds.dir == "" {
		upgradeBuilds.dir = filepath.Join(filepath.Dir(pooldBin), "upgrades")
		if err := os.MkdirAll(upgradeBuilds.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		upgradeBuilds.bins = map[string]string{}
	}
	bin := filepath.Join(upgradeBuilds.dir, "poold-"+v)
	ldflags := "-X main.version=" + v
	if failTakeover != "" {
		ldflags += " -X 'main.failTakeover=" + failTakeover + "'"
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound*6) // a link of poold under load
	defer cancel()
	args := []string{"build", "-ldflags", ldflags, "-o", bin}
	if raceEnabled { // as pooldBin: a data race in the takeover shows
		args = append(args, "-race")
	}
	out, err := exec.CommandContext(ctx, "go", append(args, "github.com/poold/poold/cmd/poold")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", v, err, out)
	}
	upgradeBuilds.bins[v] = bin
	return bin
}

// install puts a copy of bin at path, renamed over it as dpkg does.
func install(t *testing.T, bin, path string) {
	t.Helper()
	tmp := path + ".dpkg-new"
	if out, err := exec.Command("cp", bin, tmp).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// upgradedPool runs a pool of 3 workers from a copy of build "upgrade-a"
// with args beside --name, --listen and --workers; addr is where it
// listens.
func upgradedPool(t *testing.T, args ...string) (p *pool, name, bin, addr string) {
	t.Helper()
	bin = filepath.Join(t.TempDir(), "poold")
	install(t, pooldBuild(t, "upgrade-a", ""), bin)
	name = uniqueName(t)
	p = start(t, spec{bin: bin, args: append([]string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "3"}, args...),
		helper: "drain-serve"})
	addr = p.addr()
	p.waitReady()
	return p, name, bin, addr
}

// upgradeTo installs build v at bin and upgrades the pool to it with
// poolctl, and returns how long the upgrade took (Start to READY=1) as the
// new poold logged it.
func upgradeTo(t *testing.T, p *pool, name, bin, v, outcome string) time.Duration {
	t.Helper()
	install(t, pooldBuild(t, v, ""), bin)
	if r := poolctl(t, "", nil, "upgrade", name); r.code != 0 {
		t.Fatalf("poolctl upgrade to %s: %v", v, r)
	}
	_, m := p.waitLog(`INF upgrade in place done from=\S+ to=(\S+) outcome=(\S+|"[^"]*") duration=(\S+) since_exec=(\S+)`, bound)
	if m[1] != v || m[2] != outcome {
		t.Fatalf("upgrade to %s: to=%s outcome=%s, want to=%s outcome=%s", v, m[1], m[2], v, outcome)
	}
	d, err := time.ParseDuration(m[3])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("upgrade to %s: %v from Start to READY=1, %s of them from the exec", v, d, m[4])
	return d
}

// Three upgrades in a row between two builds, under kept-alive and
// new-connection load: no request fails, poold keeps its PID and every
// worker its PID, and status shows the new version each time.
func TestUpgradeInPlaceKeepsPoolAndWorkers(t *testing.T) {
	t.Parallel()
	p, name, bin, addr := upgradedPool(t)
	pooldBuild(t, "upgrade-b", "") // built before the load starts
	before := statusOf(t, nil, name)
	if before.Pool.MainPID != p.cmd.Process.Pid || len(before.workerPIDs()) != 3 {
		t.Fatalf("before the upgrades: %+v", before)
	}
	var took []time.Duration
	f := measureUnderLoad(t, addr, func() {
		for _, v := range []string{"upgrade-b", "upgrade-a", "upgrade-b"} {
			took = append(took, upgradeTo(t, p, name, bin, v, "upgraded"))
			if got := statusOf(t, nil, name).Pool.Version; got != v {
				t.Errorf("after the upgrade to %s, status says version %q", v, got)
			}
		}
	})
	t.Logf("3 upgrades in place: %v; each took (Start to READY=1) %v", f, took)
	f.check(t, "3 upgrades in place", 50)
	after := statusOf(t, nil, name)
	if after.Pool.MainPID != before.Pool.MainPID || !p.running() {
		t.Errorf("poold's PID %d after the upgrades, want %d", after.Pool.MainPID, before.Pool.MainPID)
	}
	if !samePIDs(before.workerPIDs(), after.workerPIDs()) {
		t.Errorf("worker PIDs %v after the upgrades, want %v", after.workerPIDs(), before.workerPIDs())
	}
	if up := lastUpgrade(t, name); up.From != "upgrade-a" || up.To != "upgrade-b" || up.Outcome != "upgraded" {
		t.Errorf("last upgrade %+v", up)
	}
	// Each exec killed the private bus's daemon, a child of poold that the
	// next poold reaps.
	waitNoZombieChild(t, p.cmd.Process.Pid)
	// A worker's stderr still reaches poold's log, through the pipe the
	// third poold adopted.
	a, err := get("http://" + addr + "/slow?ms=1")
	if err != nil {
		t.Fatal(err)
	}
	p.waitLog(`e2e-helper: slow request started pid=`+itoa(a.PID)+`$`, bound)
	// The pool is whole: it still drains as it should.
	p.stop()
	p.checkNoWorkerSurvived()
}

// A new binary that cannot take over hands back to the running one, as
// soon as it read the state or once its pool runs: the pool keeps its
// poold, workers and version, serves all along, and says why it fell back.
func TestUpgradeThatCannotTakeOverFallsBack(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ build, failure, reason string }{
		{"upgrade-broken", "injected by the e2e test", "injected by the e2e test"},
		{"upgrade-broken-late", "late: injected once the pool runs", "injected once the pool runs"},
	} {
		t.Run(tt.build, func(t *testing.T) {
			t.Parallel()
			fallBack(t, tt.build, tt.failure, tt.reason)
		})
	}
}

func fallBack(t *testing.T, build, failure, reason string) {
	p, name, bin, addr := upgradedPool(t)
	pooldBuild(t, build, failure)
	before := statusOf(t, nil, name)
	f := measureUnderLoad(t, addr, func() {
		install(t, pooldBuild(t, build, ""), bin)
		// poolctl waits for the outcome, and fails on a fallback.
		if r := poolctl(t, "", nil, "upgrade", name); r.code != 1 || !strings.Contains(r.stderr, "fell back to upgrade-a: "+reason) {
			t.Errorf("poolctl upgrade: %v; want exit 1 saying it fell back, and why", r)
		}
		p.waitLog(`poold `+build+`: cannot take over .*`+reason, bound)
		p.waitLog(`INF upgrade in place done from=upgrade-a to=upgrade-a outcome="fell back: `+reason+`"`, bound)
	})
	f.check(t, "a fallen-back upgrade", 50)
	after := statusOf(t, nil, name)
	if after.Pool.MainPID != before.Pool.MainPID || !samePIDs(before.workerPIDs(), after.workerPIDs()) {
		t.Errorf("after the fallback: poold %d workers %v, want %d and %v", after.Pool.MainPID, after.workerPIDs(),
			before.Pool.MainPID, before.workerPIDs())
	}
	if v := after.Pool.Version; v != "upgrade-a" {
		t.Errorf("version %q after the fallback, want upgrade-a", v)
	}
	if up := lastUpgrade(t, name); !strings.HasPrefix(up.Outcome, "fell back: "+reason) {
		t.Errorf("last upgrade %+v, want fell back", up)
	}
}

// With --distribution sticky the per-slot reuseport group and its program
// survive the upgrade: every client address still reaches its slot.
func TestUpgradeKeepsTheSlotsGroup(t *testing.T) {
	t.Parallel()
	const addrs = 90
	p, name, bin, addr := upgradedPool(t, "--distribution", "sticky")
	pooldBuild(t, "upgrade-b", "")
	url := "http://" + addr + "/"
	first := slotsFrom(t, url, addrs, "before the upgrade")
	before := statusOf(t, nil, name)
	underLoad(t, addr, "an upgrade of a sticky pool", func() {
		upgradeTo(t, p, name, bin, "upgrade-b", "upgraded")
	})
	sameSlots(t, "after the upgrade", first, slotsFrom(t, url, addrs, "after the upgrade"))
	if after := statusOf(t, nil, name); !samePIDs(before.workerPIDs(), after.workerPIDs()) {
		t.Errorf("worker PIDs %v after the upgrade, want %v", after.workerPIDs(), before.workerPIDs())
	}
	if p.sawLog("distribution: dropped a socket") {
		t.Error("the new poold dropped a slot's socket")
	}
}

// Workers in cgroups of their own keep them across an upgrade: the new
// poold sweeps none of them away, and a worker killed after it still
// takes its whole tree with it.
func TestUpgradeKeepsTheWorkersCgroups(t *testing.T) {
	t.Parallel()
	dir, _ := hostCgroup(t)
	bin := filepath.Join(t.TempDir(), "poold")
	install(t, pooldBuild(t, "upgrade-a", ""), bin)
	pooldBuild(t, "upgrade-b", "")
	name := uniqueName(t)
	p, escaped := escapingPool(t, dir, name, bin)
	p.waitSeen(`INF pool ready `, bound)
	before := statusOf(t, nil, name)
	upgradeTo(t, p, name, bin, "upgrade-b", "upgraded")
	after := statusOf(t, nil, name)
	if !samePIDs(before.workerPIDs(), after.workerPIDs()) {
		t.Fatalf("worker PIDs %v after the upgrade, want %v", after.workerPIDs(), before.workerPIDs())
	}
	if p.sawLog("removed the cgroup of a worker of an earlier poold") {
		t.Error("the new poold swept a live worker's cgroup")
	}
	gone := pidfdOf(t, escaped["0"])
	if err := syscall.Kill(after.workerPIDs()[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, gone, "the escapee of slot 0's worker, killed after the upgrade")
}

// An upgrade changes the binary, not the configuration: a config file
// broken since the start does not stop the new poold, which runs on with
// the configuration the pool ran and says the file does not parse.
func TestUpgradeRunsOnWithTheRunningConfig(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "pool.conf")
	if err := os.WriteFile(conf, []byte("ready-timeout = 30s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, name, bin, _ := upgradedPool(t, "--config", conf)
	before := statusOf(t, nil, name)
	if err := os.WriteFile(conf, []byte("ready-timeout = soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	upgradeTo(t, p, name, bin, "upgrade-b", "upgraded")
	p.waitSeen(`WRN the configuration does not parse: the pool runs on with the one it ran before the upgrade.*ready-timeout`, bound)
	after := statusOf(t, nil, name)
	if after.Pool.Version != "upgrade-b" || !samePIDs(before.workerPIDs(), after.workerPIDs()) {
		t.Errorf("after the upgrade: version %q, workers %v; want upgrade-b and %v", after.Pool.Version, after.workerPIDs(), before.workerPIDs())
	}
	if r := poolctl(t, "", nil, "reload", name); r.code == 0 || !strings.Contains(r.stderr, "ready-timeout") {
		t.Errorf("reload with the broken file: %v; want it refused, naming the setting", r)
	}
}

// waitNoZombieChild waits until no child of pid is a zombie: an exited
// child that nothing reaped stays one for as long as pid runs.
func waitNoZombieChild(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		zombies := zombieChildren(pid)
		if len(zombies) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("children of %d still zombies after %v: %v", pid, bound, zombies)
		}
		time.Sleep(20 * time.Millisecond) // polling /proc, not synchronisation
	}
}

// zombieChildren are pid's children that have exited and not been reaped,
// as "PID (comm)".
func zombieChildren(pid int) []string {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			stat, err := os.ReadFile("/proc/" + c + "/stat")
			if err != nil {
				continue // reaped meanwhile
			}
			// pid (comm) S ...: comm may hold spaces and parentheses.
			s := string(stat)
			if i := strings.LastIndexByte(s, ')'); i > 0 && strings.HasPrefix(s[i+1:], " Z") {
				out = append(out, c+" "+s[strings.IndexByte(s, '('):i+1])
			}
		}
	}
	return out
}
