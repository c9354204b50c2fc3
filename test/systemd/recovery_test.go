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

// recoveryScript kills poold and measures, inside the container, the
// milliseconds until a client that keeps asking is answered again.
const recoveryScript = `pid=$(systemctl show -P MainPID %s)
t0=$(date +%%s%%N)
kill -KILL "$pid"
until curl -fsS -m 10 -o /dev/null %s 2>/dev/null; do :; done
t1=$(date +%%s%%N)
echo $(( (t1 - t0) / 1000000 ))`

// A poold killed under load comes back fast: the time from kill -9 to the
// first answer, several times, with Python workers. Five crashes within a
// minute stop systemd's retries, and poolctl status says the pool failed,
// with the units' result.
func TestRecoveryFromACrashOfPoold(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	c := boot(t, deb)
	const pool, addr = "py", "127.0.0.1:18094"
	unit, url := pool+".service", "http://"+addr+"/"
	c.dumpJournalOnFailure(unit)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("mkdir", "-p", "/srv/py")
	c.must("sh", "-c", "cat > /srv/py/worker.py <<'EOF'\n"+pythonWorker+"EOF")
	c.must("poolctl", "init", pool, "--listen", addr, "--workers", "2", "--", "python3", "/srv/py/worker.py")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", pool+".socket")
	checkIdle(c, pool, addr)
	c.must("curl", "-fsS", "-m", "30", url)
	ready := func() bool { return strings.Contains(unitProp(c, unit, "StatusText"), "2/2 workers ready") }
	c.waitFor("2/2 workers ready", ready)

	l := startLoad(c, url)
	var ms []int
	for range 5 {
		out := c.must("sh", "-c", fmt.Sprintf(recoveryScript, unit, url))
		n, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("recovery script: %q", out)
		}
		ms = append(ms, n)
		c.waitFor("2/2 workers ready again", ready)
		// Each run is a first crash: the start limit counts from here.
		c.must("systemctl", "reset-failed", unit)
	}
	r := l.stop(t)
	slices.Sort(ms)
	t.Logf("kill -9 of poold to the first answer, Python workers, under load: %v ms; median %d ms, max %d ms; load: %v",
		ms, ms[len(ms)/2], ms[len(ms)-1], r)
	// The old RestartSec=5s alone took longer than this.
	if max := time.Duration(ms[len(ms)-1]) * time.Millisecond; max >= 5*time.Second {
		t.Errorf("a poold killed under load took %v to answer again", max)
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
