package systemd

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// flakyJS is a worker that exits 3 at once while /srv/flaky/mode says
// broken (a bad deploy), and serves otherwise.
const flakyJS = `const fs = require("fs");
if (fs.readFileSync("/srv/flaky/mode", "utf8").trim() === "broken") {
  console.error("broken, exiting 3");
  process.exit(3);
}
require("http").createServer((req, res) => res.end("generation " + process.env.POOLD_GENERATION + "\n")).listen(8080);
`

// systemctl reload of a pool whose every slot crash-loops fails within the
// pool's ready timeout and leaves the unit active, not reloading; once the
// code is fixed, systemctl reload brings the pool back at once.
func TestSystemctlReloadOfACrashLoopingPool(t *testing.T) {
	t.Parallel()
	const (
		name         = "flaky"
		flakyURL     = "http://127.0.0.1:18093/"
		readyTimeout = 10 * time.Second
	)
	deb, _ := packages(t)
	c := boot(t, deb)
	unit := name + ".service"
	c.dumpJournalOnFailure(unit)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("mkdir", "-p", "/srv/flaky")
	c.must("sh", "-c", "cat > /srv/flaky/server.js <<'EOF'\n"+flakyJS+"EOF\necho ok > /srv/flaky/mode")
	c.must("poolctl", "init", name, "--listen", "127.0.0.1:18093", "--workers", "2", "--", "node", "/srv/flaky/server.js")
	c.must("sh", "-c", "echo 'ready-timeout = "+readyTimeout.String()+"' >> /etc/poold/"+name+".conf")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", name+".socket")
	c.must("curl", "-fsS", "-m", "30", flakyURL)
	unitShow := func(prop string) string {
		return strings.TrimSpace(c.must("systemctl", "show", "-P", prop, unit))
	}
	c.waitFor("2/2 workers ready", func() bool { return strings.HasPrefix(unitShow("StatusText"), "2/2 workers ready") })

	c.must("sh", "-c", "echo broken > /srv/flaky/mode")
	c.must("poolctl", "signal", name, "KILL")
	c.waitFor("both slots crash-looping", func() bool {
		s := unitShow("StatusText")
		return strings.Contains(s, "slot 0 crash-looping") && strings.Contains(s, "slot 1 crash-looping")
	})
	// timeout(1): a reload that never ends (as it did) must not hang the test.
	limit := fmt.Sprint(int((readyTimeout + 60*time.Second).Seconds()))
	began := time.Now()
	out, err := c.run("timeout", limit, "systemctl", "reload", unit)
	took := time.Since(began)
	t.Logf("systemctl reload of broken code: %v after %v: %s", err, took, out)
	if err == nil {
		t.Errorf("systemctl reload of broken code succeeded, want it to fail")
	}
	if took > readyTimeout+30*time.Second { // + the default stop timeout: the documented bound
		t.Errorf("systemctl reload of broken code took %v, want it to end within the ready timeout plus the stop timeout", took)
	}
	if state, sub := unitShow("ActiveState"), unitShow("SubState"); state != "active" || sub != "running" {
		t.Errorf("after the failed reload the unit is %s (%s), want active (running)", state, sub)
	}
	if s := unitShow("StatusText"); !strings.Contains(s, "last reload failed at slot") {
		t.Errorf("STATUS=%q, want it to say the reload failed and why", s)
	}
	if gen := statusOf[poolStatus](c, name).Pool.Generation; gen != 1 {
		t.Errorf("after the failed reload the pool has generation %d, want 1", gen)
	}
	// The audit log, in the journal with fields: ExecReload='s poolctl, in
	// the service's own unit, asked for the reload that failed.
	c.waitFor("the failed reload in the journal with its caller", func() bool {
		out, _ := c.run("journalctl", "--no-pager", "-o", "cat", "-u", unit, "POOLD_OP=reload", "POOLD_OUTCOME=failed",
			"POOLD_CALLER_UID=0", "POOLD_CALLER_COMM=poolctl", "POOLD_CALLER_UNIT="+unit)
		return strings.Contains(out, "WRN d-bus call failed op=reload") || strings.Contains(out, "INF d-bus call failed op=reload")
	})

	c.must("sh", "-c", "echo ok > /srv/flaky/mode")
	began = time.Now()
	c.must("timeout", limit, "systemctl", "reload", unit)
	t.Logf("systemctl reload of fixed code: %v", time.Since(began))
	if state, sub := unitShow("ActiveState"), unitShow("SubState"); state != "active" || sub != "running" {
		t.Errorf("after the fixed reload the unit is %s (%s), want active (running)", state, sub)
	}
	if s := unitShow("StatusText"); !strings.HasPrefix(s, "2/2 workers ready") || strings.Contains(s, "failed") {
		t.Errorf("STATUS=%q after the fixed reload, want 2/2 ready and nothing failed", s)
	}
	if got := c.must("curl", "-fsS", "-m", "10", flakyURL); got != "generation 3\n" {
		t.Errorf("the fixed pool answers %q, want generation 3", got)
	}
}
