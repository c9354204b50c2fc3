package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestHealthFlags(t *testing.T) {
	c, err := Parse([]string{"--listen", ":3000", "--worker-watchdog", "20s", "--recycle-memory", "512M",
		"--recycle-memory-for", "10s", "--recycle-loop-delay", "500ms", "--recycle-requests", "10000",
		"--recycle-age", "6h", "--", "node", "app.js"}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Health{Watchdog: 20 * time.Second, Memory: 512 << 20, MemoryFor: 10 * time.Second,
		LoopDelay: 500 * time.Millisecond, LoopDelayFor: DefaultBreachFor, Requests: 10000, Age: 6 * time.Hour}
	if got := c.Health; got != want {
		t.Errorf("health %+v\nwant %+v", got, want)
	}
	off, err := Parse([]string{"--listen", ":3000", "--", "node", "app.js"}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if h := off.Health; h.Watchdog != 0 || h.Memory != 0 || h.Requests != 0 || h.Age != 0 || h.LoopDelay != 0 {
		t.Errorf("health without flags %+v, want every recycle off", h)
	}
}

func TestHealthFlagErrors(t *testing.T) {
	_, err := Parse([]string{"--listen", ":3000", "--recycle-memory", "lots", "--recycle-memory-for", "0s",
		"--worker-watchdog", "-1s", "--", "node", "app.js"}, env(), io.Discard)
	for _, want := range []string{"--recycle-memory", "--recycle-memory-for 0s", "--worker-watchdog -1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	_, err = Parse([]string{"--recycle-requests", "-5", "--", "node"}, env(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "recycle-requests") {
		t.Errorf("--recycle-requests -5: %v", err)
	}
}
