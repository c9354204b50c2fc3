package systemd

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A pool with a per-slot distribution killed as a whole (systemctl kill
// -s KILL: poold and its workers) under new-connection load: systemd
// starts poold again, which takes the slots' sockets back from the fd
// store, the same sockets (ss shows the same inodes) with the connections
// queued on them; systemctl restart keeps them too, a stop does not, and
// a slot scaled away leaves the store. Measured in the same run without the store
// (FileDescriptorStoreMax=0): the slots get new sockets and what was
// queued on the old ones is reset. Then a pool without a socket unit
// (--listen): its own socket comes back too.
func TestFDStoreKeepsTheSocketsAcrossACrash(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	c := boot(t, deb, filepath.Join(repo(t), "test/systemd/testdata/newconn_load.py"))
	const pool, port = "fds", "18097"
	unit, url := pool+".service", "http://127.0.0.1:"+port+"/"
	c.dumpJournalOnFailure(unit)
	startPythonPool(c, deb, pool, "--listen", "127.0.0.1:"+port, "--workers", "3", "--distribution", "balanced")
	c.must("curl", "-fsS", "-m", "30", url)
	ready := func() bool { return strings.Contains(unitProp(c, unit, "StatusText"), "3/3 workers ready") }
	c.waitFor("3/3 workers ready", ready)

	kill := func() {
		pid := unitProp(c, unit, "MainPID")
		c.must("systemctl", "kill", "-s", "KILL", unit)
		nextMainPID(c, unit, pid)
	}
	restart := func() { c.must("systemctl", "restart", unit) }
	withStore := underLoad(c, unit, port, ready, kill)
	if !slices.Equal(withStore.after, withStore.before) {
		t.Errorf("with the fd store: listening sockets %v before the kills, %v after; want the same", withStore.before, withStore.after)
	}
	if out, _ := c.run("journalctl", "--no-pager", "-q", "-u", unit, "-g", "took back the sockets"); !strings.Contains(out, "slots=2") {
		t.Errorf("journal: %q; want poold saying it took back 2 slots", out)
	}

	// systemctl restart keeps the store: the restart job is pending while
	// the unit is down, so systemd does not release it.
	withStoreRestart := underLoad(c, unit, port, ready, restart)
	if !slices.Equal(withStoreRestart.after, withStore.after) {
		t.Errorf("systemctl restart: listening sockets %v, before %v; want the same", withStoreRestart.after, withStore.after)
	}
	// A slot scaled away leaves the store: its socket closes.
	c.must("poolctl", "scale", pool, "2")
	c.waitFor("slot 2's socket closed", func() bool { return len(listeningInodes(c, port)) == 2 })

	// A stop empties the store; with FileDescriptorStoreMax=0 (a drop-in)
	// nothing fills it again. Not a restart: it would keep what is stored.
	c.must("mkdir", "-p", "/etc/systemd/system/"+unit+".d")
	c.must("sh", "-c", "printf '[Service]\\nFileDescriptorStoreMax=0\\n' > /etc/systemd/system/"+unit+".d/nostore.conf")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "stop", unit)
	c.must("systemctl", "start", unit)
	c.waitFor("3/3 workers ready without the store", ready)
	if kept := commonInodes(withStore.after, listeningInodes(c, port)); len(kept) != 1 {
		t.Errorf("systemctl stop and start kept the sockets %v of %v; want the socket unit's alone", kept, withStore.after)
	}
	if out, _ := c.run("journalctl", "--no-pager", "-q", "-u", unit, "-g", "Cannot store more fds than FileDescriptorStoreMax=0"); out == "" {
		t.Errorf("no warning from systemd about the fds poold offered with FileDescriptorStoreMax=0")
	}
	without := underLoad(c, unit, port, ready, kill)
	base := commonInodes(without.before, without.after)
	if len(without.before) != 3 || len(base) != 1 {
		t.Errorf("without the fd store: listening sockets %v before the kills, %v after; want only the socket unit's kept", without.before, without.after)
	}
	withoutRestart := underLoad(c, unit, port, ready, restart)
	if len(commonInodes(withoutRestart.before, withoutRestart.after)) != 1 {
		t.Errorf("without the fd store, systemctl restart: listening sockets %v before, %v after; want only the socket unit's kept", withoutRestart.before, withoutRestart.after)
	}
	t.Logf("3 kills of the whole service (poold and 3 workers, balanced) under new-connection load from 32 clients: with the fd store %v; without %v",
		withStore.load, without.load)
	t.Logf("3 systemctl restarts under the same load: with the fd store %v; without %v", withStoreRestart.load, withoutRestart.load)
	if withStore.load.Failed > without.load.Failed {
		t.Errorf("with the fd store %d requests failed, without %d: want no more with it", withStore.load.Failed, without.load.Failed)
	}

	checkListenSocketsComeBack(c)
}

// crashResult is what underLoad saw: the inodes of the pool's
// listening sockets before the first kill and after the last, and the load.
type crashResult struct {
	before, after []string
	load          newConnResult
}

// newConnResult is what newconn_load.py prints.
type newConnResult struct {
	Answered, Failed, Reset int
	Errors                  []string
}

func (r newConnResult) String() string {
	return fmt.Sprintf("%d answered, %d failed (%d reset)", r.Answered, r.Failed, r.Reset)
}

// underLoad disrupts unit 3 times under load (a kill, a restart), each
// time once the load got answers, and waits for the pool to be ready and
// answering again.
func underLoad(c *container, unit, port string, ready func() bool, disrupt func()) crashResult {
	c.t.Helper()
	const stop, progress = "/run/stop-newconn-load", "/run/newconn-progress"
	c.must("rm", "-f", stop, progress)
	done := make(chan string, 1)
	go func() {
		out, err := c.run("python3", "/var/tmp/e2e/newconn_load.py", "http://127.0.0.1:"+port+"/", stop, progress, "32")
		if err != nil {
			out = "error: " + err.Error() + ": " + out
		}
		done <- out
	}()
	answered := func() int {
		out, _ := c.run("cat", progress)
		n, _ := strconv.Atoi(strings.TrimSpace(out))
		return n
	}
	r := crashResult{before: listeningInodes(c, port)}
	for range 3 {
		from := answered()
		c.waitFor("answers under load", func() bool { return answered() >= from+300 })
		disrupt()
		c.waitFor("the pool ready again", ready)
		from = answered()
		c.waitFor("answers after the restart", func() bool { return answered() >= from+300 })
		// Each is a first start: the start limit counts from here.
		c.must("systemctl", "reset-failed", unit)
	}
	r.after = listeningInodes(c, port)
	c.must("touch", stop)
	out := <-done
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r.load); err != nil {
		c.t.Fatalf("newconn_load.py: %v: %q", err, out)
	}
	return r
}

var inodeRE = regexp.MustCompile(`\bino:(\d+)`)

// listeningInodes are the inodes of the TCP sockets listening on port,
// sorted, as ss shows them (systemd's, poold's and the workers' copies of
// a socket are one socket).
func listeningInodes(c *container, port string) []string {
	c.t.Helper()
	out := c.must("ss", "-Hltne", "sport = :"+port)
	var inodes []string
	for _, m := range inodeRE.FindAllStringSubmatch(out, -1) {
		if !slices.Contains(inodes, m[1]) {
			inodes = append(inodes, m[1])
		}
	}
	slices.Sort(inodes)
	return inodes
}

func commonInodes(a, b []string) []string {
	var both []string
	for _, x := range a {
		if slices.Contains(b, x) {
			both = append(both, x)
		}
	}
	return both
}

// directService is a pool without a socket unit: poold binds --listen
// itself, and keeps the socket in the fd store.
const directService = `[Service]
Type=notify
ExecStart=/usr/bin/poold --name direct --listen 127.0.0.1:18098 --workers 2 --distribution balanced -- python3 /srv/py/worker.py
FileDescriptorStoreMax=64
Restart=on-failure
RestartSec=0
KillMode=mixed
`

// checkListenSocketsComeBack: a pool that binds its --listen socket itself
// serves, after a kill of the whole service, on the same sockets.
func checkListenSocketsComeBack(c *container) {
	c.t.Helper()
	const unit, port = "direct.service", "18098"
	c.dumpJournalOnFailure(unit)
	c.must("sh", "-c", "cat > /etc/systemd/system/direct.service <<'EOF'\n"+directService+"EOF")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", unit)
	ready := func() bool { return strings.Contains(unitProp(c, unit, "StatusText"), "2/2 workers ready") }
	c.waitFor("direct: 2/2 workers ready", ready)
	before := listeningInodes(c, port)
	pid := unitProp(c, unit, "MainPID")
	c.must("systemctl", "kill", "-s", "KILL", unit)
	nextMainPID(c, unit, pid)
	c.waitFor("direct: ready again", ready)
	c.must("curl", "-fsS", "-m", "10", "http://127.0.0.1:"+port+"/")
	if after := listeningInodes(c, port); len(before) != 2 || !slices.Equal(after, before) {
		c.t.Errorf("--listen pool: listening sockets %v before the kill, %v after; want the same 2", before, after)
	}
}
