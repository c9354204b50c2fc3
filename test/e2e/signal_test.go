package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Each `poolctl signal` reaches the worker once, and so does the SIGTERM
// of a restart: counted by a worker that takes its signals one by one.
func TestPoolctlSignalIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	needTool(t, err == nil, "python3", "apt-get install python3")
	counter, err := filepath.Abs(filepath.Join("testdata", "signals", "count.py"))
	if err != nil {
		t.Fatal(err)
	}
	name := uniqueName(t)
	p := start(t, spec{
		args:    []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1", "--ready", "notify"},
		command: []string{python, counter},
	})
	p.waitReady()
	const sent = 50
	for range sent {
		mustPoolctl(t, nil, "signal", name, "RTMIN+1")
	}
	mustPoolctl(t, nil, "restart", name, "0")
	_, m := p.waitLog(`sigcount rt=(\d+) term=(\d+)`, bound)
	if m[1] != itoa(sent) || m[2] != "1" {
		t.Errorf("the worker counted %s real-time signals and %s SIGTERM, want %d and 1", m[1], m[2], sent)
	}
}
