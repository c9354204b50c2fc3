package systemd

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pythonWorker is an HTTP worker written for systemd socket activation,
// with no knowledge of poold: python-systemd's listen_fds() and notify().
const pythonWorker = `import socket
from http.server import BaseHTTPRequestHandler, HTTPServer
from systemd.daemon import listen_fds, notify

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass

server = HTTPServer(("", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = socket.socket(fileno=listen_fds()[0])
notify("READY=1")
server.serve_forever()
`

// recoveryScript kills poold and prints, in microseconds since the epoch,
// the kill, systemd's fork of the next poold (RestartSec= and systemd's
// own delay), and the first answer to a client that keeps asking.
const recoveryScript = `pid=$(systemctl show -P MainPID %[1]s)
t0=$(date +%%s%%6N)
kill -KILL "$pid"
until curl -fsS -m 10 -o /dev/null %[2]s 2>/dev/null; do :; done
t1=$(date +%%s%%6N)
started=$(busctl get-property org.freedesktop.systemd1 %[3]s org.freedesktop.systemd1.Service ExecMainStartTimestamp)
echo $t0 ${started#t } $t1`

// A poold killed under load comes back fast: the time from kill -9 to
// systemd's start of the next poold, to its first worker's READY=1 and to
// the first answer, several times, with Python workers. Five crashes
// within a minute stop systemd's retries, and poolctl status says the pool
// failed, with the units' result.
func TestRecoveryFromACrashOfPoold(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	c := boot(t, deb)
	const pool, addr = "py", "127.0.0.1:18094"
	unit, url := pool+".service", "http://"+addr+"/"
	c.dumpJournalOnFailure(unit)
	startPythonPool(c, deb, pool, "--listen", addr, "--workers", "2")
	checkIdle(c, pool, addr)
	c.must("curl", "-fsS", "-m", "30", url)
	ready := func() bool { return strings.Contains(unitProp(c, unit, "StatusText"), "2/2 workers ready") }
	c.waitFor("2/2 workers ready", ready)

	l := startLoad(c, url)
	var restarted, workerReady, answered []int
	for range 5 {
		var killed, forked, first int64
		out := c.must("sh", "-c", fmt.Sprintf(recoveryScript, unit, url, unitPath(c, unit)))
		if _, err := fmt.Sscan(out, &killed, &forked, &first); err != nil {
			t.Fatalf("recovery script: %q", out)
		}
		c.waitFor("2/2 workers ready again", ready)
		ms := func(usec int64) int { return int((usec - killed) / 1000) }
		restarted = append(restarted, ms(forked))
		workerReady = append(workerReady, ms(firstWorkerReady(c, unitProp(c, unit, "MainPID"))))
		answered = append(answered, ms(first))
		// Each run is a first crash: the start limit counts from here.
		c.must("systemctl", "reset-failed", unit)
	}
	r := l.stop(t)
	t.Logf("kill -9 of poold under load, Python workers: the next poold started after %s; its first worker was ready after %s; the first answer came after %s; load: %v",
		msFigures(restarted), msFigures(workerReady), msFigures(answered), r)
	// What RestartSec= leaves: 5s in the old units.
	if worst := time.Duration(slices.Max(restarted)) * time.Millisecond; worst >= 2500*time.Millisecond {
		t.Errorf("systemd started the next poold %v after the kill", worst)
	}
	if r.refused != 0 {
		t.Errorf("load: %v; want no connection refused", r)
	}

	// A crash loop: systemd stops retrying at the start limit, and so does
	// the socket, which poolctl status shows.
	kills := 0
	for pid := ""; ; kills++ {
		if pid = nextMainPID(c, unit, pid); pid == "" {
			break
		}
		if kills == 8 {
			t.Fatalf("%s still restarts after %d crashes", unit, kills)
		}
		c.must("kill", "-KILL", pid)
	}
	t.Logf("%s failed after %d crashes in a row", unit, kills)
	// The service's result is its last crash's; the socket's says why.
	want := pool + ": pool failed (" + unit + ": signal, " + pool + ".socket: service-start-limit-hit), no socket listening; see journalctl -u " + unit + "\n"
	if out, _ := c.run("poolctl", "status", pool); out != want {
		t.Errorf("poolctl status of the failed pool:\n%s\nwant\n%s", out, want)
	}
}

// startPythonPool installs the package and makes pool with poolctl init,
// initArgs and the Python worker, started by its socket.
func startPythonPool(c *container, deb, pool string, initArgs ...string) {
	c.t.Helper()
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("mkdir", "-p", "/srv/py")
	c.must("sh", "-c", "cat > /srv/py/worker.py <<'EOF'\n"+pythonWorker+"EOF")
	c.must(append(append([]string{"poolctl", "init", pool}, initArgs...), "--", "python3", "/srv/py/worker.py")...)
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", pool+".socket")
}

// nextMainPID waits until unit runs a poold other than last, and returns
// its PID, or "" once the unit failed.
func nextMainPID(c *container, unit, last string) string {
	c.t.Helper()
	var pid string
	c.waitFor("a new poold, or the unit failed", func() bool {
		state := unitProp(c, unit, "ActiveState")
		pid = unitProp(c, unit, "MainPID")
		if state == "failed" {
			pid = ""
			return true
		}
		return state == "active" && pid != last && pid != "0"
	})
	return pid
}

// firstWorkerReady is when the journal got the first "worker ready" of the
// poold with PID pid, in microseconds since the epoch. journald reads
// poold's stderr on its own time: the line may come after the answer.
func firstWorkerReady(c *container, pid string) int64 {
	c.t.Helper()
	var usec int64
	c.waitFor("poold "+pid+"'s worker ready in the journal", func() bool {
		out, _ := c.run("journalctl", "--no-pager", "-q", "-o", "short-unix", "_PID="+pid, "-g", "worker ready")
		stamp, _, _ := strings.Cut(out, " ")
		var err error
		usec, err = strconv.ParseInt(strings.Replace(stamp, ".", "", 1), 10, 64)
		return err == nil
	})
	return usec
}

// msFigures: "[475 492 576 616 665] ms, median 576 ms, max 665 ms".
func msFigures(ms []int) string {
	sorted := slices.Sorted(slices.Values(ms))
	return fmt.Sprintf("%v ms, median %d ms, max %d ms", ms, sorted[len(sorted)/2], sorted[len(sorted)-1])
}

// unitPath is the D-Bus object of a unit.
func unitPath(c *container, unit string) string {
	c.t.Helper()
	out := c.must("busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "GetUnit", "s", unit)
	path, ok := strings.CutPrefix(strings.TrimSpace(out), "o ")
	if !ok {
		c.t.Fatalf("GetUnit %s: %s", unit, out)
	}
	return strings.Trim(path, `"`)
}
