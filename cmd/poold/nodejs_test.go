package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/nodejs"
	"github.com/poold/poold/internal/rundir"
)

func TestWorkersEnvPutsThePreloadInFrontOfNode(t *testing.T) {
	t.Setenv("NODE_OPTIONS", "--max-old-space-size=384")
	t.Setenv("NODE_PATH", "/srv/lib")
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		command []string
		mode    nodejs.Mode
		drain   bool
		want    bool
		options string // options.json, when written
	}{
		{[]string{"node", "server.js"}, nodejs.Auto, true, true, `{"drain":true}`},
		{[]string{"/usr/bin/nodejs", "server.js"}, nodejs.Auto, false, true, `{"drain":false}`},
		{[]string{"node", "server.js"}, nodejs.Off, true, false, ""},
		// The preload in front of a package manager's node says to run node.
		{[]string{"npm", "start"}, nodejs.Auto, true, true, `{"drain":true,"wrapper":"npm"}`},
		{[]string{"npm", "start"}, nodejs.Off, true, false, ""},
		{[]string{"sh", "-c", "exec node server.js"}, nodejs.Auto, true, false, ""},
	} {
		dir, err := rundir.Make(rundir.Options{Base: t.TempDir(), Name: "app"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dir.Remove() })
		spec := config.Config{Command: tt.command, NodePreload: tt.mode, NodeDrain: tt.drain}.WorkerSpec(ownProcess())
		env, err := workersEnv("app", spec, dir, log)
		if err != nil {
			t.Fatalf("workersEnv(%q, %v): %v", tt.command, tt.mode, err)
		}
		modules := filepath.Join(dir.Path(), "node_modules")
		path := filepath.Join(modules, "poold", "preload.js")
		want := []string{"NODE_OPTIONS=--max-old-space-size=384", "NODE_PATH=/srv/lib"}
		if tt.want {
			want = []string{"NODE_OPTIONS=--require " + path + " --max-old-space-size=384", "NODE_PATH=" + modules + ":/srv/lib"}
		}
		for _, w := range want {
			if !slices.Contains(env, w) {
				t.Errorf("workersEnv(%q, %v) lacks %q", tt.command, tt.mode, w)
			}
		}
		if _, err := os.Stat(path); (err == nil) != tt.want {
			t.Errorf("workersEnv(%q, %v): preload file: %v, want it written: %v", tt.command, tt.mode, err, tt.want)
		}
		if !tt.want {
			continue
		}
		opts, err := os.ReadFile(filepath.Join(modules, "poold", "options.json"))
		if want := tt.options + "\n"; err != nil || string(opts) != want {
			t.Errorf("workersEnv(%q) with drain %v: options.json %q, %v; want %q", tt.command, tt.drain, opts, err, want)
		}
	}
}
