package systemd

import (
	"path/filepath"
	"strings"
	"testing"
)

// A pool that an earlier poolctl init set up with the template pair,
// poold@NAME, moves to units named after it with poolctl init --force, and
// never runs under both names: the template instance is left without an
// address, and a second poold of the same name (the admin's own units) stops
// at the start limit rather than crash-looping, while the first serves on.
func TestOnePoolUnderOneName(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	c := boot(t, deb)
	const pool = "dup"
	unit, old := pool+".service", "poold@"+pool+".service"
	c.dumpJournalOnFailure(unit)
	c.dumpJournalOnFailure(old)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("mkdir", "-p", "/srv/py")
	c.must("sh", "-c", "cat > /srv/py/worker.py <<'EOF'\n"+pythonWorker+"EOF")

	// What poolctl init wrote before: the config and the socket's drop-in.
	c.must("sh", "-c", "printf 'command = python3 /srv/py/worker.py\\nworkers = 1\\n' > /etc/poold/"+pool+".conf")
	templateListen := func(addr string) {
		dir := "/etc/systemd/system/poold@" + pool + ".socket.d"
		c.must("sh", "-c", "mkdir -p "+dir+" && printf '[Socket]\\nListenStream="+addr+"\\n' > "+dir+"/listen.conf")
	}
	templateListen("127.0.0.1:18095")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", "poold@"+pool+".socket")
	c.must("curl", "-fsS", "-m", "30", "http://127.0.0.1:18095/")

	initArgs := []string{"poolctl", "init", pool, "--listen", "127.0.0.1:18095", "--workers", "1", "--", "python3", "/srv/py/worker.py"}
	if out, err := c.run(initArgs...); err == nil || !strings.Contains(out, " exists; add --force") {
		t.Errorf("poolctl init over the template's drop-in: %v\n%s", err, out)
	}
	out := c.must(append([]string{"poolctl", "init", "--force"}, initArgs[2:]...)...)
	if !strings.Contains(out, "first: systemctl disable --now poold@dup.socket poold@dup.service") {
		t.Errorf("poolctl init --force does not say how to stop the former units:\n%s", out)
	}
	c.must("systemctl", "disable", "--now", "poold@"+pool+".socket", old)
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", pool+".socket")
	c.must("curl", "-fsS", "-m", "30", "http://127.0.0.1:18095/")
	mainPID := unitProp(c, unit, "MainPID")
	if st := statusOf[poolStatus](c, pool); st.Pool.MainPID == 0 || unitProp(c, unit, "ActiveState") != "active" {
		t.Fatalf("%s after the move: %+v, %s", pool, st.Pool, unitProp(c, unit, "ActiveState"))
	}
	if out, err := c.run("systemctl", "start", "poold@"+pool+".socket"); err == nil {
		t.Errorf("the template instance started without its drop-in: %s", out)
	}

	// The same pool twice, on another address: the second poold finds its
	// name taken and systemd stops retrying it.
	templateListen("127.0.0.1:18096")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", "poold@"+pool+".socket")
	c.run("curl", "-sS", "-m", "5", "http://127.0.0.1:18096/") // starts it; no answer
	c.waitFor(old+" failed", func() bool { return unitProp(c, old, "ActiveState") == "failed" })
	t.Logf("%s: result %s after %s restarts", old, unitProp(c, old, "Result"), unitProp(c, old, "NRestarts"))
	journal := c.must("journalctl", "--no-pager", "-o", "cat", "-u", old)
	if !strings.Contains(journal, "another pool named dup is running (") {
		t.Errorf("the journal of %s does not say why it stopped:\n%s", old, journal)
	}
	if now := unitProp(c, unit, "MainPID"); now != mainPID {
		t.Errorf("%s's poold changed from %s to %s", unit, mainPID, now)
	}
	c.must("curl", "-fsS", "-m", "30", "http://127.0.0.1:18095/")
}
