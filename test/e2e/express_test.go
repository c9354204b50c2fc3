package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// The guide's Express app (examples/express) serves from every worker on the
// socket poold binds, and stops gracefully on SIGTERM (exit code 0).
func TestExpressExampleUnderPoold(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	needTool(t, err == nil, "node", "apt-get install nodejs")
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "express"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, "node_modules", "express", "package.json"))
	needTool(t, err == nil, "examples/express/node_modules", "npm ci --prefix examples/express")
	p := start(t, spec{
		args:    []string{"--listen", "127.0.0.1:0", "--workers", "2"},
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
	p.signal(syscall.SIGTERM)
	p.waitLog(`INF worker exited .*\bstatus="exit code 0"`, bound)
	p.waitLog(`INF worker exited .*\bstatus="exit code 0"`, bound)
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d, want 0", code)
	}
}
