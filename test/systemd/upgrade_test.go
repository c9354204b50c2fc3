package systemd

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// upgradeStatus is the part of poolctl status --json an upgrade changes.
type upgradeStatus struct {
	Pool struct {
		Version     string `json:"version"`
		MainPID     int    `json:"main_pid"`
		LastUpgrade struct {
			Outcome      string `json:"outcome"`
			DurationUSec int64  `json:"duration_usec"`
		} `json:"last_upgrade"`
	} `json:"pool"`
	Workers []struct {
		PID int `json:"pid"`
	} `json:"workers"`
}

// poolctl upgrade under a real systemd, 3 times in a row between the
// packaged poold and another build, under load on kept-alive and new
// connections: no request fails, systemd keeps the same MainPID and the
// unit stays up (never restarted, never anything but active or
// reloading), the workers are the same processes, and poolctl status
// shows the version that runs. SIGUSR2 from systemctl kill does the same.
// Then a newer package's postinst upgrades the running pools itself, but
// for the one whose config says upgrade-on-install = false.
func TestUpgradeInPlaceUnderSystemd(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	next := rebuiltDeb(t, "9.9.9")
	other := buildPoold(t, "8.8.8-upgrade")
	goWorker := buildGoWorker(t, "./examples/go-worker")
	load := filepath.Join(repo(t), "test/systemd/testdata/keepalive_load.py")
	c := boot(t, deb, next, other, goWorker, load)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("mkdir", "-p", "/srv/apps")
	c.must("cp", "/var/tmp/e2e/go-worker", "/srv/apps/")
	c.must("cp", "/usr/bin/poold", "/var/tmp/e2e/poold-packaged")
	packaged := strings.TrimPrefix(strings.TrimSpace(c.must("poold", "--version")), "poold ")

	const name, kept = "upg", "upgkept"
	startPool(c, name, "18097", 3, "")
	startPool(c, kept, "18098", 1, "upgrade-on-install = false")
	unit := name + ".service"
	mainPID := unitProp(c, unit, "MainPID")
	before := statusOf[upgradeStatus](c, name)
	if before.Pool.Version != packaged || len(before.Workers) != 3 {
		t.Fatalf("before the upgrades: %+v; want poold %s and 3 workers", before, packaged)
	}

	states := watchActiveState(c, unit)
	l := startKeepAliveLoad(c, "http://127.0.0.1:18097/")
	var durations []string
	for i, to := range []string{"8.8.8-upgrade", packaged, "8.8.8-upgrade"} {
		from := statusOf[upgradeStatus](c, name).Pool.Version
		bin := map[string]string{packaged: "/var/tmp/e2e/poold-packaged", "8.8.8-upgrade": "/var/tmp/e2e/poold"}[to]
		// As dpkg does: a new file renamed over the running one.
		c.must("sh", "-c", "cp "+bin+" /usr/bin/poold.new && mv /usr/bin/poold.new /usr/bin/poold")
		began := time.Now()
		out := c.must("poolctl", "upgrade", name, "--timeout", "60s")
		took := time.Since(began)
		want := regexp.MustCompile(`^` + name + `: upgraded poold ` + regexp.QuoteMeta(from) + ` → ` + regexp.QuoteMeta(to) +
			` in (\S+), 3 workers kept\n$`)
		m := want.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("upgrade %d: poolctl upgrade said %q; want %s", i+1, out, want)
		}
		if d, err := time.ParseDuration(m[1]); err != nil || d <= 0 {
			t.Errorf("upgrade %d took %q, want the time from Upgrade to the new poold's READY=1", i+1, m[1])
		}
		durations = append(durations, fmt.Sprintf("%s (poolctl: %v)", m[1], took.Round(time.Millisecond)))
		after := statusOf[upgradeStatus](c, name)
		if after.Pool.Version != to || after.Pool.LastUpgrade.Outcome != "upgraded" {
			t.Errorf("upgrade %d: status %+v; want poold %s, upgraded", i+1, after.Pool, to)
		}
		if got := unitProp(c, unit, "MainPID"); got != mainPID || after.Pool.MainPID != before.Pool.MainPID {
			t.Errorf("upgrade %d: MainPID %s (poolctl: %d), want %s", i+1, got, after.Pool.MainPID, mainPID)
		}
		if !samePIDs(before, after) {
			t.Errorf("upgrade %d: workers %+v, want the same as before %+v", i+1, after.Workers, before.Workers)
		}
	}
	r := l.stop(t)
	seen := states.stop()
	t.Logf("3 poolctl upgrades of 3 workers under load: %+v; upgrade took %s; unit states seen: %v", r, strings.Join(durations, ", "), seen)
	if r.Keepalive[0] < 100 || r.New[0] < 100 || r.Keepalive[1]+r.New[1] != 0 {
		t.Errorf("load during the upgrades: %+v; want at least 100 answered of each kind and none failed", r)
	}
	for state := range seen {
		if state != "active" && state != "reloading" {
			t.Errorf("the unit was %q during the upgrades (seen: %v); want active throughout", state, seen)
		}
	}
	if n := unitProp(c, unit, "NRestarts"); n != "0" {
		t.Errorf("NRestarts=%s after the upgrades, want 0", n)
	}
	if out := c.must("journalctl", "--no-pager", "-o", "cat", "-u", unit); strings.Count(out, "upgrade in place done") != 3 {
		t.Errorf("the journal of %s does not have the 3 upgrades:\n%s", unit, out)
	}

	// SIGUSR2 to poold, as systemd sends it, starts the same upgrade.
	c.must("sh", "-c", "cp /var/tmp/e2e/poold-packaged /usr/bin/poold.new && mv /usr/bin/poold.new /usr/bin/poold")
	c.must("systemctl", "kill", "-s", "USR2", "--kill-whom=main", unit)
	c.waitFor("the upgrade by SIGUSR2", func() bool {
		out, _ := c.run("poolctl", "status", name)
		return strings.Contains(out, "(poold "+packaged+")") && strings.Contains(out, "Upgrade: 8.8.8-upgrade → "+packaged)
	})
	if after := statusOf[upgradeStatus](c, name); unitProp(c, unit, "MainPID") != mainPID || !samePIDs(before, after) {
		t.Errorf("after SIGUSR2: %+v, MainPID %s; want the same poold (%s) and workers", after, unitProp(c, unit, "MainPID"), mainPID)
	}

	// A newer package: its postinst upgrades the running pools in place.
	out := c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(next))
	t.Logf("dpkg -i of 9.9.9:\n%s", out)
	if !regexp.MustCompile(`(?m)^` + name + `: upgraded poold ` + regexp.QuoteMeta(packaged) + ` → 9\.9\.9 in \S+, 3 workers kept$`).MatchString(out) {
		t.Errorf("dpkg -i of a newer package did not upgrade %s in place:\n%s", name, out)
	}
	if want := kept + ": skipped: upgrade-on-install = false in /etc/poold/" + kept + ".conf; restart it to run the new poold"; !strings.Contains(out, want) {
		t.Errorf("dpkg -i says\n%s\nwant it to list %q", out, want)
	}
	after := statusOf[upgradeStatus](c, name)
	if after.Pool.Version != "9.9.9" || unitProp(c, unit, "MainPID") != mainPID || !samePIDs(before, after) || unitProp(c, unit, "NRestarts") != "0" {
		t.Errorf("after dpkg -i: %+v, MainPID %s, NRestarts %s; want poold 9.9.9 in the same process, the same workers, no restart",
			after, unitProp(c, unit, "MainPID"), unitProp(c, unit, "NRestarts"))
	}
	if out := c.must("poolctl", "status", kept); !strings.Contains(out, "Binary: replaced on disk, restart or upgrade to run version 9.9.9") {
		t.Errorf("the pool with upgrade-on-install = false:\n%s\nwant it on its old poold", out)
	}
}

// startPool makes a pool of the go worker as poolctl init does, with lines
// added to its config, and starts it by its socket.
func startPool(c *container, name, port string, workers int, confLines string) {
	c.t.Helper()
	c.dumpJournalOnFailure(name + ".service")
	c.must("poolctl", "init", name, "--listen", "127.0.0.1:"+port, "--workers", fmt.Sprint(workers), "--", "/srv/apps/go-worker")
	if confLines != "" {
		c.must("sh", "-c", "printf '"+confLines+"\\n' >> /etc/poold/"+name+".conf")
	}
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", name+".socket")
	c.must("curl", "-fsS", "-m", "30", "http://127.0.0.1:"+port+"/")
	ready := fmt.Sprintf("%d/%d workers ready", workers, workers)
	c.waitFor(name+": "+ready, func() bool { return strings.Contains(unitProp(c, name+".service", "StatusText"), ready) })
}

// buildPoold builds poold, static, as version.
func buildPoold(t *testing.T, version string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "poold")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", bin, "./cmd/poold")
	cmd.Dir = repo(t)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build poold %s: %v\n%s", version, err, out)
	}
	return bin
}

func samePIDs(a, b upgradeStatus) bool {
	if len(a.Workers) != len(b.Workers) {
		return false
	}
	for i := range a.Workers {
		if a.Workers[i].PID != b.Workers[i].PID {
			return false
		}
	}
	return true
}

// activeStates polls systemctl is-active of a unit until stopped and
// counts each state seen: what a client of systemd would see.
type activeStates struct {
	stopOnce sync.Once
	quit     chan struct{}
	done     chan map[string]int
	seen     map[string]int
}

// watchActiveState starts polling; the test's end stops it if stop did not.
func watchActiveState(c *container, unit string) *activeStates {
	s := &activeStates{quit: make(chan struct{}), done: make(chan map[string]int, 1)}
	c.t.Cleanup(func() { s.stop() })
	go func() {
		seen := map[string]int{}
		for {
			select {
			case <-s.quit:
				s.done <- seen
				return
			default:
			}
			out, _ := c.run("systemctl", "is-active", unit)
			seen[strings.TrimSpace(out)]++
		}
	}()
	return s
}

func (s *activeStates) stop() map[string]int {
	s.stopOnce.Do(func() {
		close(s.quit)
		s.seen = <-s.done
	})
	return s.seen
}
