package config

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/poold/poold/internal/mode"
)

func TestWorkerSpecCarriesWhatShapesAWorker(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "app.json") // read at start, not by the spec
	c, err := Parse([]string{"--node-preload", "off", "--node-drain", "off", "--worker-watchdog", "2s",
		"--stop-timeout", "7s", "--recycle-memory", "256M", "--worker-memory-max", "1G",
		"--worker-config", missing, "--", "node", "server.js", "--port", "3000"}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p := Process{Environ: []string{"A=1", "PATH=/usr/bin"}, Dir: "/srv/app", UID: 33, GID: 34}
	got := c.WorkerSpec(p)
	want := WorkerSpec{Command: []string{"node", "server.js", "--port", "3000"}, Env: []string{"A=1", "PATH=/usr/bin"},
		Dir: "/srv/app", UID: 33, GID: 34, NodePreload: mode.NodePreloadOff, NodeDrain: false,
		Watchdog: 2 * time.Second, StopTimeout: 7 * time.Second, MemoryHigh: 256 << 20, MemoryMax: 1 << 30, WorkerConfig: missing}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spec %+v\nwant %+v", got, want)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("building the spec touched %s: %v", missing, err)
	}
}

func TestWorkerSpecSharesNothing(t *testing.T) {
	c := Config{Command: []string{"node", "a.js"}}
	p := Process{Environ: []string{"A=1"}}
	s := c.WorkerSpec(p)
	s.Command[1], s.Env[0] = "b.js", "A=2"
	if c.Command[1] != "a.js" || p.Environ[0] != "A=1" {
		t.Errorf("changing the spec changed its sources: %q %q", c.Command, p.Environ)
	}
}
