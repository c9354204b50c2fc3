package systemd

import (
	"path/filepath"
	"strings"
	"testing"
)

// The .rpm, with rpm's own scriptlets run against a real systemd: install
// creates the group and loads the units, an app runs, removal stops it.
func TestRPMPackageUnderSystemd(t *testing.T) {
	t.Parallel()
	_, rpm := packages(t)
	c := boot(t, rpm, expressApp(t))
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

	c.must("rpm", "-e", "--nodeps", db, "poold")
	if out, err := c.run("pgrep", "-f", "poold|server.js"); err == nil {
		t.Errorf("processes left after rpm -e: %s", out)
	}
	if _, err := c.run("curl", "-fsS", "-m", "2", url); err == nil {
		t.Error("still serving after rpm -e")
	}
}
