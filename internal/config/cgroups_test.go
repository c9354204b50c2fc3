package config

import (
	"io"
	"strings"
	"testing"

	"github.com/poold/poold/internal/mode"
)

func TestWorkerCgroupFlags(t *testing.T) {
	tests := []struct {
		give     []string
		wantMode mode.Cgroups
		max      int64
		wantErr  string
	}{
		{give: nil, wantMode: mode.CgroupsAuto},
		{give: []string{"--worker-cgroups", "on", "--worker-memory-max", "1G"}, wantMode: mode.CgroupsOn, max: 1 << 30},
		{give: []string{"--worker-cgroups=off"}, wantMode: mode.CgroupsOff},
		{give: []string{"--worker-memory-max", "512M", "--recycle-memory", "400M"}, wantMode: mode.CgroupsAuto, max: 512 << 20},
		{give: []string{"--worker-cgroups", "yes"}, wantErr: `--worker-cgroups: worker cgroups "yes": want auto, on or off`},
		{give: []string{"--worker-memory-max", "lots"}, wantErr: `--worker-memory-max: parse size "lots"`},
		{give: []string{"--worker-cgroups", "off", "--worker-memory-max", "1G"},
			wantErr: "--worker-memory-max needs per-worker cgroups, which --worker-cgroups=off turns off"},
		{give: []string{"--worker-memory-max", "512M", "--recycle-memory", "512M"},
			wantErr: "--recycle-memory 512 MiB is not below --worker-memory-max 512 MiB"},
	}
	for _, tt := range tests {
		c, err := Parse(append(tt.give, "--", "node", "app.js"), env(), io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.give, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.WorkerCgroups != tt.wantMode || c.WorkerMemoryMax != tt.max {
			t.Errorf("Parse(%q) = %v, %d, %v; want %v, %d", tt.give, c.WorkerCgroups, c.WorkerMemoryMax, err, tt.wantMode, tt.max)
		}
	}
}

func TestWorkerCgroupsInConfigFile(t *testing.T) {
	err := CheckFile("/etc/poold/web.conf", []byte("worker-cgroups = off\nworker-memory-max = 1G\ncommand = node app.js\n"))
	if err == nil || !strings.Contains(err.Error(), "/etc/poold/web.conf") || !strings.Contains(err.Error(), "--worker-cgroups=off") {
		t.Errorf("CheckFile: %v; want the conflict, located in the file", err)
	}
}
