package systemd

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// versionJS answers with its argument and $APP_VERSION.
const versionJS = `require("http").createServer((req, res) =>
  res.end(process.argv[2] + " " + process.env.APP_VERSION + " " + process.env.POOLD_GENERATION + "\n")).listen(8080);
`

// specStatus is the part of poolctl status --json this test reads.
type specStatus struct {
	Pool struct {
		Generation  int `json:"generation"`
		Generations []struct {
			Generation int      `json:"generation"`
			CommandTo  []string `json:"command_to"`
			EnvChanged []string `json:"env_changed"`
		} `json:"generations"`
	} `json:"pool"`
	Workers []struct {
		PID        int `json:"pid"`
		Generation int `json:"generation"`
	} `json:"workers"`
}

// systemctl reload after NAME.conf and NAME.env changed rolls the workers
// to the new command and environment; a bad NAME.env fails the reload and
// changes nothing.
func TestSystemctlReloadReadsConfAndEnvAgain(t *testing.T) {
	t.Parallel()
	const (
		name = "spec"
		url  = "http://127.0.0.1:18094/"
	)
	deb, _ := packages(t)
	c := boot(t, deb)
	unit := name + ".service"
	c.dumpJournalOnFailure(unit)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("mkdir", "-p", "/srv/spec")
	c.must("sh", "-c", "cat > /srv/spec/server.js <<'EOF'\n"+versionJS+"EOF")
	c.must("poolctl", "init", name, "--listen", "127.0.0.1:18094", "--workers", "2", "--", "node", "/srv/spec/server.js", "one")
	c.must("sh", "-c", "echo APP_VERSION=1 > /etc/poold/"+name+".env")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", name+".socket")
	if got := c.must("curl", "-fsS", "-m", "30", url); got != "one 1 1\n" {
		t.Fatalf("before the reload the pool answers %q, want one 1 1", got)
	}
	// Until READY=1 the unit is activating, and systemd merges a reload
	// into the start job: it returns at once and reloads nothing.
	c.waitFor("the unit active", func() bool {
		return strings.TrimSpace(c.must("systemctl", "show", "-P", "ActiveState", unit)) == "active"
	})

	c.must("sed", "-i", "s|^command = .*|command = node /srv/spec/server.js two|", "/etc/poold/"+name+".conf")
	c.must("sh", "-c", "printf '# quoted, as systemd reads it\\nAPP_VERSION=\"2\"\\n' > /etc/poold/"+name+".env")
	c.must("timeout", "120", "systemctl", "reload", unit)
	st := statusOf[specStatus](c, name)
	for range 10 { // every worker answers the new command and environment
		if got := c.must("curl", "-fsS", "-m", "10", url); got != "two 2 2\n" {
			t.Fatalf("after the reload the pool answers %q, want two 2 2", got)
		}
	}
	last := st.Pool.Generations[len(st.Pool.Generations)-1]
	if st.Pool.Generation != 2 || last.Generation != 2 || !slices.Equal(last.CommandTo, []string{"node", "/srv/spec/server.js", "two"}) ||
		!slices.Equal(last.EnvChanged, []string{"APP_VERSION"}) {
		t.Errorf("status after the reload: %+v; want generation 2 with the new command and APP_VERSION changed", st.Pool)
	}

	c.must("sh", "-c", "echo 'APP_VERSION 3' > /etc/poold/"+name+".env")
	out, err := c.run("timeout", "120", "systemctl", "reload", unit)
	if err == nil {
		t.Errorf("systemctl reload with a bad %s.env succeeded: %s", name, out)
	}
	journal := c.must("journalctl", "--no-pager", "-o", "cat", "-u", unit)
	if !strings.Contains(journal, "/etc/poold/"+name+`.env:1: want KEY=VALUE, found \"APP_VERSION 3\"`) {
		t.Errorf("the journal does not name the bad line of %s.env:\n%s", name, journal)
	}
	after := statusOf[specStatus](c, name)
	if after.Pool.Generation != 2 || len(after.Workers) != 2 {
		t.Errorf("after the refused reload: %+v, want generation 2 and its 2 workers", after)
	}
	before := map[int]bool{}
	for _, w := range st.Workers {
		before[w.PID] = true
	}
	for _, w := range after.Workers {
		if !before[w.PID] {
			t.Errorf("worker %d is new after the refused reload; want the same workers %+v", w.PID, st.Workers)
		}
	}
}
