package e2e

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// The guide's Express app (examples/express) serves from every worker on the
// socket poold binds, and stops gracefully on SIGTERM (exit code 0).
func TestExpressExampleUnderPoold(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	needTool(t, err == nil, "node", "apt-get install nodejs")
	dir := expressDir(t)
	name := uniqueName(t)
	p := start(t, spec{
		args:    []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"},
		command: []string{node, "server.js"},
		dir:     dir,
	})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	slots := map[string]bool{}
	for _, a := range answersFrom(t, url, 2) {
		slots[a.Slot] = true
	}
	if !slots["0"] || !slots["1"] {
		t.Errorf("answers from slots %v, want 0 and 1", slots)
	}
	if a, err := get(url + "health"); err != nil || a.PID == 0 {
		t.Errorf("GET /health: %+v, %v", a, err)
	}
	for _, path := range []string{"", "health", "heavy?n=10", "heavy?n=-1", "session"} {
		if body := rawBody(t, url+path); !strings.HasSuffix(body, "}\n") {
			t.Errorf("GET /%s: %q, want JSON and a newline", path, body)
		}
	}
	// The README's example of poolctl signal: each worker says how it is
	// doing, and none exits.
	mustPoolctl(t, nil, "signal", name, "USR2")
	for _, slot := range []string{"0", "1"} {
		p.waitSeen(`\[`+regexp.QuoteMeta(name)+` `+slot+` \d+\] \[WORKER \d+ slot `+slot+`\] up \d+s, rss \d+MB`, bound)
	}
	p.signal(syscall.SIGTERM)
	p.waitLog(`INF worker exited .*\bstatus="exit code 0"`, bound)
	p.waitLog(`INF worker exited .*\bstatus="exit code 0"`, bound)
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d, want 0", code)
	}
	if exits := p.linesWith("INF worker exited "); len(exits) != 2 {
		t.Errorf("worker exits %q, want the 2 of the stop alone", exits)
	}
}

// rawBody is the body of GET url, whatever its status.
func rawBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// expressDir is examples/express, with its npm packages installed.
func expressDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "express"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, "node_modules", "express", "package.json"))
	needTool(t, err == nil, "examples/express/node_modules", "npm ci --prefix examples/express")
	return dir
}
