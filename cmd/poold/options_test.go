package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/supervisor"
)

func TestResolveWorkers(t *testing.T) {
	tests := []struct {
		give       config.Config
		limits     cgroup.Limits
		want       int
		wantReason string
	}{
		{config.Config{Workers: config.WorkerCount{N: 3, From: "--workers"}, MaxWorkers: 64}, cgroup.Limits{}, 3, "3 workers from --workers"},
		{config.Config{Workers: config.WorkerCount{N: 1, From: "--workers"}, MaxWorkers: 64}, cgroup.Limits{}, 1, "1 worker from --workers"},
		{config.Config{Workers: config.WorkerCount{Auto: true}, MaxWorkers: 64}, cgroup.Limits{Version: 2, AllowedCPUs: 8, CPUQuota: 1.5}, 2, "CPU quota"},
		{config.Config{Workers: config.WorkerCount{Auto: true}, MaxWorkers: 4}, cgroup.Limits{Version: 2, AllowedCPUs: 32}, 4, "capped at --max-workers 4"},
		{config.Config{Workers: config.WorkerCount{Auto: true}, MaxWorkers: 64, WorkerMemory: 512 << 20}, cgroup.Limits{Version: 2, AllowedCPUs: 8, MemoryMax: 1 << 30}, 2, "--worker-memory"},
	}
	for _, tt := range tests {
		got, reason := resolveWorkers(tt.give, tt.limits, 16)
		if got != tt.want || !strings.Contains(reason, tt.wantReason) {
			t.Errorf("ResolveWorkers(%+v) = %d, %q; want %d, %q", tt.limits, got, reason, tt.want, tt.wantReason)
		}
	}
}

func TestSupervisorOptionsCapsMaxUnavailable(t *testing.T) {
	c := config.Config{MaxUnavailable: 3}
	for _, tt := range []struct{ workers, want int }{{8, 3}, {4, 3}, {3, 2}, {1, 0}} {
		if got := supervisorOptions(c, tt.workers).MaxUnavailable; got != tt.want {
			t.Errorf("SupervisorOptions(%d).MaxUnavailable = %d, want %d", tt.workers, got, tt.want)
		}
	}
}

func TestSupervisorOptionsCarryHealth(t *testing.T) {
	c, err := config.Parse([]string{"--listen", ":3000", "--worker-watchdog", "20s", "--recycle-memory", "512M",
		"--recycle-memory-for", "10s", "--recycle-loop-delay", "500ms", "--recycle-requests", "10000",
		"--recycle-age", "6h", "--", "node", "app.js"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := supervisor.Health{Watchdog: 20 * time.Second, Memory: 512 << 20, MemoryFor: 10 * time.Second,
		LoopDelay: 500 * time.Millisecond, LoopDelayFor: config.DefaultBreachFor, Requests: 10000, Age: 6 * time.Hour}
	if got := supervisorOptions(c, 2).Health; got != want {
		t.Errorf("health %+v\nwant %+v", got, want)
	}
}

func TestSupervisorOptionsMinReadyZeroIsAll(t *testing.T) {
	for _, tt := range []struct{ give, workers, want int }{{0, 4, 4}, {2, 4, 2}, {0, 1, 1}} {
		c := config.Config{MinReady: tt.give}
		if got := supervisorOptions(c, tt.workers).MinReady; got != tt.want {
			t.Errorf("min-ready %d of %d workers: MinReady = %d, want %d", tt.give, tt.workers, got, tt.want)
		}
	}
}
