package systemd

import (
	"maps"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The .rpm, with rpm's own scriptlets run against a real systemd: install
// creates the group and loads the units, an app runs, an upgrade of the
// package upgrades its poold in place, removal stops it.
func TestRPMPackageUnderSystemd(t *testing.T) {
	t.Parallel()
	_, rpm := packages(t)
	next := rebuiltRPM(t, "9.9.9")
	c := boot(t, rpm, next, expressApp(t))
	c.dumpJournalOnFailure(app + ".service")
	c.must("cp", "-a", "/var/tmp/e2e/express", "/srv/express")
	db := "--dbpath=/var/lib/rpm"
	c.must("rpm", db, "--initdb")
	c.must("rpm", "-i", "--nodeps", db, "/var/tmp/e2e/"+filepath.Base(rpm))
	c.must("getent", "group", "poold")
	c.must("systemctl", "cat", "poold@.socket")

	c.must("poolctl", "init", app, "--listen", "127.0.0.1:"+port, "--workers", "2", "--", "node", "/srv/express/server.js")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", app+".socket")
	c.must("curl", "-fsS", "-m", "30", url)
	c.waitFor("2/2 workers ready", func() bool { return strings.Contains(show(c, "StatusText"), "2/2 workers ready") })

	// %post of the newer package, $1 = 2: the pool takes the new poold in
	// the same process, with the same workers.
	before := status(c)
	out := c.must("rpm", "-U", "--nodeps", db, "/var/tmp/e2e/"+filepath.Base(next))
	after := status(c)
	if !regexp.MustCompile(`(?m)^` + app + `: upgraded poold \S+ → 9\.9\.9 in \S+, 2 workers kept$`).MatchString(out) {
		t.Errorf("rpm -U did not upgrade the pool in place:\n%s", out)
	}
	if after.Pool.MainPID != before.Pool.MainPID || !maps.Equal(after.pids(), before.pids()) || show(c, "NRestarts") != "0" {
		t.Errorf("after rpm -U: %+v, NRestarts %s; want the same poold and workers as before, %+v, no restart", after, show(c, "NRestarts"), before)
	}

	c.must("rpm", "-e", "--nodeps", db, "poold")
	if out, err := c.run("pgrep", "-f", "poold|server.js"); err == nil {
		t.Errorf("processes left after rpm -e: %s", out)
	}
	if _, err := c.run("curl", "-fsS", "-m", "2", url); err == nil {
		t.Error("still serving after rpm -e")
	}
}
