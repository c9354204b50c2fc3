package systemd

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const (
	app  = "express"
	port = "18091"
	url  = "http://127.0.0.1:" + port + "/"
)

// poolStatus is the part of poolctl status --json the test reads.
type poolStatus struct {
	Pool struct {
		Bus          string `json:"bus"`
		ReadyWorkers int    `json:"ready_workers"`
		Target       int    `json:"target_workers"`
		Generation   int    `json:"generation"`
		MainPID      int    `json:"main_pid"`
	} `json:"pool"`
	Workers []struct {
		PID   int    `json:"pid"`
		State string `json:"state"`
	} `json:"workers"`
}

func status(c *container) poolStatus { return statusOf[poolStatus](c, app) }

// statusOf is poolctl status --json of one pool, decoded into a T.
func statusOf[T any](c *container, pool string) T {
	c.t.Helper()
	var all []T
	out := c.must("poolctl", "status", "--json", pool)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		c.t.Fatalf("poolctl status --json %s: %v: %s", pool, err, out)
	}
	return all[0]
}

func (s poolStatus) pids() map[int]bool {
	m := map[int]bool{}
	for _, w := range s.Workers {
		m[w.PID] = true
	}
	return m
}

func show(c *container, prop string) string {
	return unitProp(c, app+".service", prop)
}

// The .deb under a real systemd, driven in its users' words: poolctl init,
// "systemctl start express.socket" and its first connection, the idle pool
// before it in poolctl status, poolctl on the system bus with its access
// rules, "systemctl reload express" under load, "journalctl -u express",
// the watchdog, a SIGKILL of poold, an upgrade of the package that
// upgrades poold in place, stop and package removal.
func TestDebianPackageUnderSystemd(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	next := rebuiltDeb(t, "9.9.9")
	c := boot(t, deb, next, expressApp(t))
	c.dumpJournalOnFailure(app + ".service")
	c.must("cp", "-a", "/var/tmp/e2e/express", "/srv/express")

	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("getent", "group", "poold")
	if out, _ := c.run("systemctl", "list-units", "--no-legend", "poold@*"); strings.TrimSpace(out) != "" {
		t.Fatalf("installing the package started units: %s", out)
	}

	c.must("poolctl", "init", app, "--listen", "127.0.0.1:"+port, "--workers", "3", "--", "node", "/srv/express/server.js")
	// A short watchdog for the test, so that a stall is caught in seconds.
	c.must("mkdir", "-p", "/etc/systemd/system/"+app+".service.d")
	c.must("sh", "-c", "printf '[Service]\\nWatchdogSec=3s\\nTimeoutAbortSec=2s\\n' > /etc/systemd/system/"+app+".service.d/test.conf")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", app+".socket")
	if state := show(c, "ActiveState"); state != "inactive" {
		t.Fatalf("the service is %s before the first connection, want inactive", state)
	}
	checkIdle(c, app, "127.0.0.1:"+port)

	// Socket activation: the first connection starts poold, and is answered.
	c.must("curl", "-fsS", "-m", "30", url)
	c.waitFor("3/3 workers ready in STATUS=", func() bool { return strings.Contains(show(c, "StatusText"), "3/3 workers ready") })
	c.must("systemctl", "enable", app+".socket")
	if out := c.must("systemctl", "is-enabled", app+".service"); strings.TrimSpace(out) != "enabled" {
		t.Errorf("enabling %s.socket left the service %s", app, out)
	}
	// RuntimeDirectory=poold/%N: named after the unit, shared with no other.
	if out := c.must("ls", "/run/poold/"+app); !strings.HasPrefix(strings.TrimSpace(out), app+".") {
		t.Errorf("/run/poold/%s holds %q, want the runtime directory %s.PID", app, out, app)
	}
	cgroup := show(c, "ControlGroup")
	// Delegate=yes: poold and each worker are in cgroups below the service's.
	procs := c.must("sh", "-c", "find /sys/fs/cgroup"+cgroup+" -name cgroup.procs -exec cat {} + | wc -l")
	if n, _ := strconv.Atoi(strings.TrimSpace(procs)); n < 4 {
		t.Errorf("%d processes in %s, want poold and 3 workers", n, cgroup)
	}

	// poolctl on the system bus: root changes, another user only reads.
	st := status(c)
	if st.Pool.Bus != "system" || st.Pool.ReadyWorkers != 3 {
		t.Fatalf("status: %+v; want 3 ready on the system bus", st.Pool)
	}
	c.must("poolctl", "scale", app, "4")
	c.waitFor("4 ready workers", func() bool { return status(c).Pool.ReadyWorkers == 4 })
	if out := c.must("journalctl", "--no-pager", "-o", "cat", "-u", app); !strings.Contains(out, "pool ready") {
		t.Errorf("journalctl -u %s lacks poold's lines:\n%s", app, out)
	}
	c.must("useradd", "--system", "--no-create-home", "viewer")
	if out, err := c.run("runuser", "-u", "viewer", "--", "poolctl", "status", app); err != nil || !strings.Contains(out, "4/4 workers ready") {
		t.Errorf("poolctl status as another user: %v\n%s", err, out)
	}
	if out, err := c.run("runuser", "-u", "viewer", "--", "poolctl", "scale", app, "2"); err == nil || !strings.Contains(out, "not permitted") {
		t.Errorf("poolctl scale as another user: %v\n%s; want refused", err, out)
	}

	// systemctl reload under load: every worker replaced, nothing fails.
	before := status(c).pids()
	l := startLoad(c, url)
	c.must("systemctl", "reload", app)
	r := l.stop(t)
	after := status(c)
	t.Logf("systemctl reload under load: %v", r)
	if r.failed != 0 || r.ok == 0 {
		t.Errorf("systemctl reload under load: %v; want none failed", r)
	}
	// The last slot's old worker may still be draining when the reload
	// returns; it must be on its way out.
	for _, w := range after.Workers {
		if before[w.PID] && w.State != "stopping" {
			t.Errorf("worker %d survived systemctl reload (%s)", w.PID, w.State)
		}
	}

	// Watchdog: a stalled poold is killed and restarted by systemd; the
	// socket, systemd's, stays open and a client is answered.
	main := show(c, "MainPID")
	c.must("kill", "-STOP", main)
	c.waitFor("a watchdog restart", func() bool { return show(c, "NRestarts") != "0" })
	journal := c.must("journalctl", "--no-pager", "-o", "cat", "-u", app+".service")
	if !strings.Contains(journal, "Failed with result 'watchdog'") {
		t.Errorf("the journal does not show the watchdog failure:\n%s", journal)
	}
	c.must("curl", "-fsS", "-m", "30", url)

	// SIGKILL of poold: systemd restarts it, no worker of the old poold is
	// left, and no client is refused: the socket is systemd's. Requests
	// in flight in the workers systemd then kills (KillMode=mixed) fail.
	c.waitFor("ready again", func() bool { return strings.Contains(show(c, "StatusText"), "3/3 workers ready") })
	old := status(c).pids()
	restarts := show(c, "NRestarts")
	l = startLoad(c, url)
	c.must("kill", "-KILL", show(c, "MainPID"))
	c.waitFor("a restart after SIGKILL", func() bool { return show(c, "NRestarts") != restarts })
	// The new poold starts with the configured 3 workers: a scale is not
	// written back to the config.
	c.waitFor("ready after SIGKILL", func() bool { return strings.Contains(show(c, "StatusText"), "3/3 workers ready") })
	r = l.stop(t)
	t.Logf("SIGKILL of poold under load: %v", r)
	if r.refused != 0 || r.ok == 0 {
		t.Errorf("SIGKILL of poold under load: %v; want no connection refused", r)
	}
	for pid := range old {
		if out, err := c.run("kill", "-0", strconv.Itoa(pid)); err == nil {
			t.Errorf("worker %d of the killed poold is still running %s", pid, out)
		}
	}

	// An upgrade of the package upgrades the running pool's poold in
	// place (postinst), its workers and their cgroups kept: the same
	// process runs the new binary.
	mainPID := show(c, "MainPID")
	before = status(c).pids()
	out := c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(next))
	if !regexp.MustCompile(`(?m)^` + app + `: upgraded poold \S+ → 9\.9\.9 in \S+, 3 workers kept$`).MatchString(out) {
		t.Errorf("dpkg -i of a newer package did not upgrade the pool in place:\n%s", out)
	}
	if out := c.must("poolctl", "status", app); !strings.Contains(out, "(poold 9.9.9)") || strings.Contains(out, "Binary:") ||
		show(c, "MainPID") != mainPID || !maps.Equal(status(c).pids(), before) {
		t.Errorf("poolctl status after the upgrade:\n%s\nwant poold 9.9.9 in the same process (%s), the same workers", out, mainPID)
	}
	c.must("systemctl", "restart", app)
	c.waitFor("running the new binary", func() bool {
		out, _ := c.run("poolctl", "status", app)
		return strings.Contains(out, "(poold 9.9.9)") && !strings.Contains(out, "Binary:")
	})

	// Stop drains; removing the package leaves nothing running.
	c.must("systemctl", "stop", app+".service")
	if out, err := c.run("pgrep", "-f", "server.js"); err == nil {
		t.Errorf("workers still running after systemctl stop: %s", out)
	}
	c.must("systemctl", "start", app+".service")
	c.waitFor("running again", func() bool { return show(c, "ActiveState") == "active" })
	c.must("dpkg", "-r", "poold")
	if out, err := c.run("pgrep", "-f", "poold|server.js"); err == nil {
		t.Errorf("processes left after dpkg -r: %s", out)
	}
	if _, err := c.run("curl", "-fsS", "-m", "2", url); err == nil {
		t.Error("still serving after dpkg -r")
	}
}

// checkIdle: before its first connection, poolctl status and list show the
// pool from its units, with the socket's address.
func checkIdle(c *container, pool, addr string) {
	c.t.Helper()
	want := pool + ": socket listening on " + addr + ", pool not started (starts on the first connection)\n"
	if out := c.must("poolctl", "status", pool); out != want {
		c.t.Errorf("poolctl status %s of the idle pool:\n%s\nwant\n%s", pool, out, want)
	}
	if out := c.must("poolctl", "list"); !strings.Contains(out, "\n"+want) || !regexp.MustCompile(`(?m)^`+pool+`\s+-\s+idle\b`).MatchString(out) {
		c.t.Errorf("poolctl list with the idle pool:\n%s", out)
	}
	var all []struct {
		Pool struct {
			State  string   `json:"state"`
			Listen []string `json:"listen"`
			Units  struct {
				Service string `json:"service"`
			} `json:"units"`
		} `json:"pool"`
	}
	out := c.must("poolctl", "status", "--json", pool)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 || all[0].Pool.State != "idle" ||
		all[0].Pool.Units.Service != pool+".service" || len(all[0].Pool.Listen) != 1 || all[0].Pool.Listen[0] != addr {
		c.t.Errorf("poolctl status --json %s of the idle pool: %v\n%s", pool, err, out)
	}
}
