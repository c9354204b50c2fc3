package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/nodejs"
)

func TestWorkersEnvPutsThePreloadInFrontOfNode(t *testing.T) {
	t.Setenv("NODE_OPTIONS", "--max-old-space-size=384")
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		command []string
		mode    nodejs.Mode
		want    bool
	}{
		{[]string{"node", "server.js"}, nodejs.Auto, true},
		{[]string{"/usr/bin/nodejs", "server.js"}, nodejs.Auto, true},
		{[]string{"node", "server.js"}, nodejs.Off, false},
		{[]string{"npm", "start"}, nodejs.Auto, false},
		{[]string{"sh", "-c", "exec node server.js"}, nodejs.Auto, false},
	} {
		dir := runtimeDir(t.TempDir())
		env, err := workersEnv(config.Config{Command: tt.command, NodePreload: tt.mode}, dir, log)
		if err != nil {
			t.Fatalf("workersEnv(%q, %v): %v", tt.command, tt.mode, err)
		}
		path := filepath.Join(string(dir), nodejs.FileName)
		want := "NODE_OPTIONS=--max-old-space-size=384"
		if tt.want {
			want = "NODE_OPTIONS=--require " + path + " --max-old-space-size=384"
		}
		if !slices.Contains(env, want) {
			t.Errorf("workersEnv(%q, %v) lacks %q", tt.command, tt.mode, want)
		}
		if _, err := os.Stat(path); (err == nil) != tt.want {
			t.Errorf("workersEnv(%q, %v): preload file: %v, want it written: %v", tt.command, tt.mode, err, tt.want)
		}
	}
}
