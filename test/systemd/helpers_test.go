package systemd

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The drain helpers under a real systemd: the Go example (the worker
// package) and the Python example (the packaged poold.py), each a pool of
// 3 reloaded 3 times with systemctl reload under load from clients that
// never retry, on kept-alive and on new connections: none fails. The same
// workers without the helpers, reloaded the same way, fail some: so the
// check can fail. Then the package's removal takes away the bytecode of
// poold.py too.
func TestDrainHelpersUnderSystemd(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	goWorker := buildGoWorker(t, "./examples/go-worker")
	plainGoWorker := buildGoWorker(t, "./test/systemd/testdata/plain-go-worker")
	pyWorker := filepath.Join(repo(t), "examples/python-worker/app.py")
	// test/e2e's app.py, whose "plain" mode is the same worker without
	// poold.py; renamed, beside the example's app.py.
	plainPyWorker := filepath.Join(t.TempDir(), "plain_app.py")
	if out, err := exec.Command("cp", filepath.Join(repo(t), "test/e2e/testdata/python/app.py"), plainPyWorker).CombinedOutput(); err != nil {
		t.Fatalf("copy app.py: %v\n%s", err, out)
	}
	load := filepath.Join(repo(t), "test/systemd/testdata/keepalive_load.py")
	c := boot(t, deb, goWorker, plainGoWorker, pyWorker, plainPyWorker, load)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	// Not /var/tmp: the service has a private one (PrivateTmp=yes).
	c.must("mkdir", "-p", "/srv/apps")
	c.must("cp", "/var/tmp/e2e/go-worker", "/var/tmp/e2e/plain-go-worker", "/var/tmp/e2e/app.py", "/var/tmp/e2e/plain_app.py", "/srv/apps/")

	for _, tt := range []struct {
		app, port string
		command   []string
		helper    bool
	}{
		{"goapp", "18093", []string{"/srv/apps/go-worker"}, true},
		{"pyapp", "18094", []string{"python3", "/srv/apps/app.py"}, true},
		{"plaingo", "18095", []string{"/srv/apps/plain-go-worker"}, false},
		{"plainpy", "18096", []string{"python3", "/srv/apps/plain_app.py", "plain"}, false},
	} {
		r := reloadUnderSystemd(c, tt.app, tt.port, tt.command)
		t.Logf("%s, 3 systemctl reloads of 3 workers: %+v", tt.app, r)
		if r.Keepalive[0] < 100 || r.New[0] < 100 {
			t.Errorf("%s: %+v; want at least 100 answered of each kind", tt.app, r)
		}
		if failed := r.Keepalive[1] + r.New[1]; tt.helper && failed != 0 {
			t.Errorf("%s: %+v; want none failed", tt.app, r)
		} else if !tt.helper && failed == 0 {
			t.Errorf("%s, without the helpers: %+v; want some failed, as every worker died under them", tt.app, r)
		}
	}

	c.must("python3", "-c", "import poold") // as root: bytecode in dist-packages
	c.must("dpkg", "-r", "poold")
	if out, _ := c.run("sh", "-c", "ls -d /usr/lib/python3/dist-packages/__pycache__/poold.* /usr/share/poold 2>/dev/null"); strings.TrimSpace(out) != "" {
		t.Errorf("left after dpkg -r: %s", out)
	}
}

// reloadUnderSystemd makes a pool of 3 workers of command as poolctl init
// does, starts it by its socket, and reloads it 3 times with systemctl
// reload under keepalive_load.py's load, which it returns.
func reloadUnderSystemd(c *container, app, port string, command []string) keepAliveResult {
	c.t.Helper()
	unit := app + ".service"
	c.dumpJournalOnFailure(unit)
	url := "http://127.0.0.1:" + port + "/"
	args := append([]string{"poolctl", "init", app, "--listen", "127.0.0.1:" + port, "--workers", "3", "--"}, command...)
	c.must(args...)
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "enable", "--now", app+".socket")
	c.must("curl", "-fsS", "-m", "30", url)
	c.waitFor(app+": 3/3 workers ready", func() bool {
		return strings.Contains(unitProp(c, unit, "StatusText"), "3/3 workers ready")
	})
	l := startKeepAliveLoad(c, url)
	for range 3 {
		c.must("systemctl", "reload", app)
		// The replaced workers drain after the reload: the load goes on
		// until they are gone.
		c.waitFor(app+": the replaced workers gone", func() bool { return workerCount(c, strings.Join(command, " ")) == 3 })
	}
	r := l.stop(c.t)
	c.must("systemctl", "disable", "--now", app+".socket", unit)
	return r
}

// buildGoWorker builds the command pkg, static, for the container.
func buildGoWorker(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = repo(t)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// workerCount counts the processes whose command line has path.
func workerCount(c *container, path string) int {
	out, _ := c.run("pgrep", "-c", "-f", path)
	n, _ := strconv.Atoi(strings.TrimSpace(out))
	return n
}

// keepAliveLoad is testdata/keepalive_load.py running in the container.
type keepAliveLoad struct {
	c    *container
	done chan string
}

// keepAliveResult is what keepalive_load.py prints: [answered, failed].
type keepAliveResult struct {
	Keepalive [2]int   `json:"keepalive"`
	New       [2]int   `json:"new"`
	Errors    []string `json:"errors"`
}

func startKeepAliveLoad(c *container, url string) *keepAliveLoad {
	l := &keepAliveLoad{c: c, done: make(chan string, 1)}
	c.must("rm", "-f", "/run/stop-keepalive-load")
	go func() {
		out, err := c.run("python3", "/var/tmp/e2e/keepalive_load.py", url, "/run/stop-keepalive-load")
		if err != nil {
			out = "error: " + err.Error() + ": " + out
		}
		l.done <- out
	}()
	return l
}

func (l *keepAliveLoad) stop(t *testing.T) keepAliveResult {
	t.Helper()
	l.c.must("touch", "/run/stop-keepalive-load")
	out := <-l.done
	var r keepAliveResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
		t.Fatalf("keepalive_load.py: %v: %q", err, out)
	}
	return r
}
