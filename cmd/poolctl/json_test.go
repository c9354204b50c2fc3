package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/poold/poold/dbusapi"
)

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func TestStatusJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, []jsonStatus{toJSONStatus(testStatus())}); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, b.String())
	}
	if len(got) != 1 || !reflect.DeepEqual(keys(got[0]), []string{"pool", "workers"}) {
		t.Fatalf("top level: %s", b.String())
	}
	pool := got[0]["pool"].(map[string]any)
	wantPool := []string{"binary_replaced", "bus", "bus_address", "command", "distribution", "failing_slots", "generation", "generations", "last_upgrade", "listen", "main_pid", "max_workers",
		"name", "ready_mode", "ready_workers", "replacement_version", "starting_workers", "state", "status_text", "stopping_workers",
		"target_workers", "upgrade_on_install", "version", "worker_cgroups", "workers_reason"}
	if !reflect.DeepEqual(keys(pool), wantPool) {
		t.Errorf("pool keys %v\nwant %v", keys(pool), wantPool)
	}
	if pool["name"] != "express" || pool["main_pid"] != 1200.0 || pool["distribution"] != "sticky" || pool["bus_address"] != "unix:path=/run/dbus/system_bus_socket,guid=0123abcd" {
		t.Errorf("pool values: %v", pool)
	}
	up, _ := pool["last_upgrade"].(map[string]any)
	if want := []string{"duration_usec", "from", "outcome", "started_usec", "to"}; !reflect.DeepEqual(keys(up), want) {
		t.Errorf("last_upgrade keys %v, want %v", keys(up), want)
	}
	gens, _ := pool["generations"].([]any)
	if len(gens) != 2 {
		t.Fatalf("generations %v, want 2", pool["generations"])
	}
	g := gens[1].(map[string]any)
	if want := []string{"command", "command_from", "command_to", "env_added", "env_changed", "env_removed", "from", "generation", "other", "workers"}; !reflect.DeepEqual(keys(g), want) {
		t.Errorf("generation keys %v, want %v", keys(g), want)
	}
	if g["env_removed"] == nil || g["generation"] != 3.0 {
		t.Errorf("generation 3: %v; want its lists [] rather than null", g)
	}
	workers := got[0]["workers"].([]any)
	w := workers[0].(map[string]any)
	wantWorker := []string{"active_requests", "channel_open", "cpu_usage_nsec", "generation", "heap_total_bytes",
		"heap_used_bytes", "id", "last_heartbeat_usec", "loop_delay_max_usec", "loop_delay_p99_usec", "memory_current",
		"messages_dropped", "metrics_usec", "path", "pid", "ready_usec", "requests_total", "restarts", "slot",
		"started_usec", "state", "status_text"}
	if len(workers) != 3 || !reflect.DeepEqual(keys(w), wantWorker) {
		t.Errorf("worker keys %v\nwant %v", keys(w), wantWorker)
	}
	if w["pid"] != 1201.0 || w["memory_current"] != 50_443_059.0 || w["cpu_usage_nsec"] != 12_345_000_000.0 || w["requests_total"] != 4711.0 {
		t.Errorf("worker values: %v", w)
	}
}

// Empty lists are [], not null, so that scripts can iterate them.
func TestStatusJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	writeJSON(&b, toJSONStatus(poolStatus{Status: dbusapi.Status{Pool: dbusapi.PoolInfo{Name: "x"}}}))
	var got struct {
		Pool    struct{ Listen, Command []string }
		Workers []any
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Workers == nil || got.Pool.Listen == nil || got.Pool.Command == nil {
		t.Errorf("null instead of []: %s", b.String())
	}
}

// list --json and status --json print arrays even when there is nothing.
func TestJSONNoPools(t *testing.T) {
	for _, cmd := range []string{"list", "status"} {
		r := poolctl(t, env(), cmd, "--json")
		if r.code != 0 || r.stdout != "[]\n" {
			t.Errorf("%s --json with no bus: code %d, stdout %q, stderr %q", cmd, r.code, r.stdout, r.stderr)
		}
	}
}
