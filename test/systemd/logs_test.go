package systemd

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// workerScript is a worker that writes a line on stdout, one on stderr,
// one with an sd-daemon level prefix and one of 60000 bytes, then idles;
// poold counts it ready after --ready-delay.
const workerScript = `echo "out of slot $POOLD_SLOT"; echo "err of slot $POOLD_SLOT" >&2; ` +
	`echo "<4>warning of slot $POOLD_SLOT"; head -c 60000 /dev/zero | tr '\0' x; echo; exec sleep infinity`

// Worker output under a real systemd: poold sends each line to the journal
// with fields naming its pool, slot, generation, worker and PID, so that
// journalctl -u UNIT POOLD_SLOT=1 shows one slot's lines, stderr at a
// higher priority than stdout; poolctl logs runs that journalctl, and tells
// a user who may not read the system journal what to do.
func TestWorkerOutputInTheJournal(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	c := boot(t, deb)
	const pool = "logs"
	unit := pool + ".service"
	c.dumpJournalOnFailure(unit)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("poolctl", "init", pool, "--listen", "127.0.0.1:18092", "--workers", "2", "--", "sh", "-c", workerScript)
	c.must("sh", "-c", "printf 'ready = delay\\nready-delay = 200ms\\n' >> /etc/poold/"+pool+".conf")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", unit)
	c.waitFor("2/2 workers ready", func() bool {
		out, _ := c.run("systemctl", "show", "-P", "StatusText", unit)
		return strings.Contains(out, "2/2 workers ready")
	})
	mainPID := strings.TrimSpace(c.must("systemctl", "show", "-P", "MainPID", unit))
	var all []struct {
		Workers []struct {
			Slot int `json:"slot"`
			PID  int `json:"pid"`
		} `json:"workers"`
	}
	if err := json.Unmarshal([]byte(c.must("poolctl", "status", "--json", pool)), &all); err != nil || len(all) != 1 {
		t.Fatalf("poolctl status --json: %v", err)
	}
	pid := ""
	for _, w := range all[0].Workers {
		if w.Slot == 1 {
			pid = strconv.Itoa(w.PID)
		}
	}

	var entries []map[string]any
	c.waitFor("slot 1's lines in the journal", func() bool {
		out, _ := c.run("journalctl", "--no-pager", "--all", "-o", "json", "-u", unit, "POOLD_SLOT=1")
		entries = nil
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) == nil {
				entries = append(entries, e)
			}
		}
		return len(entries) >= 5
	})
	want := map[string]struct{ priority, stream string }{
		"out of slot 1":     {"6", "stdout"},
		"err of slot 1":     {"3", "stderr"},
		"warning of slot 1": {"4", "stdout"}, // "<4>" read off, as journald does
		// The long line, in pieces of 48 KiB, as journald's LineMax=.
		strings.Repeat("x", 49152):       {"6", "stdout"},
		strings.Repeat("x", 60000-49152): {"6", "stdout"},
	}
	for _, e := range entries {
		msg, _ := e["MESSAGE"].(string)
		w, ok := want[msg]
		if !ok {
			t.Errorf("journalctl -u %s POOLD_SLOT=1 shows %.60q (%d bytes): %.300v", unit, msg, len(msg), e)
			continue
		}
		delete(want, msg)
		fields := map[string]string{
			"PRIORITY": w.priority, "POOLD_STREAM": w.stream, "POOLD_POOL": pool, "POOLD_SLOT": "1",
			"POOLD_GENERATION": "1", "POOLD_PID": pid, "OBJECT_PID": pid, "_PID": mainPID,
			"_SYSTEMD_UNIT": unit, "SYSLOG_IDENTIFIER": "sh",
		}
		for k, v := range fields {
			if e[k] != v {
				t.Errorf("%.60q: %s=%v, want %s", msg, k, e[k], v)
			}
		}
		if id, _ := e["POOLD_WORKER_ID"].(string); id == "" {
			t.Errorf("%.60q: no POOLD_WORKER_ID", msg)
		}
		if _, ok := e["OBJECT_COMM"]; !ok { // journald looked the worker up: poold is root
			t.Errorf("%.60q: no OBJECT_COMM", msg)
		}
	}
	for msg := range want {
		t.Errorf("journalctl -u %s POOLD_SLOT=1 lacks %.60q (%d bytes)", unit, msg, len(msg))
	}

	out := c.must("poolctl", "logs", pool, "1", "-n", "5")
	out = strings.ReplaceAll(out, strings.Repeat("x", 100), "")
	if !strings.Contains(out, "err of slot 1") || !strings.Contains(out, "out of slot 1") || strings.Contains(out, "slot 0") {
		t.Errorf("poolctl logs %s 1 -n 5:\n%s", pool, out)
	}
	out = c.must("poolctl", "logs", pool)
	if !strings.Contains(out, "err of slot 0") || !strings.Contains(out, "warning of slot 1") {
		t.Errorf("poolctl logs %s:\n%s", pool, out)
	}
	// A user outside the systemd-journal and adm groups is told what to do,
	// not shown journalctl's error; in the group, the user reads the lines.
	c.must("useradd", "--create-home", "viewer")
	out, err := c.run("runuser", "-u", "viewer", "--", "poolctl", "logs", pool, "1")
	if err == nil || !strings.Contains(out, "poolctl: pool logs's workers write to the system journal, which viewer may not read: run sudo poolctl logs logs 1, "+
		"or join the systemd-journal group (sudo usermod -aG systemd-journal viewer;") || strings.Contains(out, "insufficient permissions") {
		t.Errorf("poolctl logs as a user without journal access: %v\n%s", err, out)
	}
	c.must("usermod", "-aG", "systemd-journal", "viewer")
	if out, err := c.run("runuser", "-u", "viewer", "--", "poolctl", "logs", pool, "1"); err != nil || !strings.Contains(out, "out of slot 1") {
		t.Errorf("poolctl logs in the systemd-journal group: %v\n%s", err, out)
	}

	// A stopped pool's lines are still found, by its name.
	c.must("systemctl", "stop", unit)
	if out, err := c.run("poolctl", "logs", pool, "0"); err != nil || !strings.Contains(out, "out of slot 0") {
		t.Errorf("poolctl logs of the stopped pool: %v\n%s", err, out)
	}
}
