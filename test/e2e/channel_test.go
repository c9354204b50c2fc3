package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// workerSaid is a cluster worker's answer: its PID and what it reports.
type workerSaid struct {
	PID  int             `json:"pid"`
	Body json.RawMessage `json:"body"`
}

// untilEveryWorker asks path on new connections until n distinct workers'
// answers satisfy ok, and fails t when that does not happen within bound.
func untilEveryWorker(t *testing.T, addr, path string, n int, ok func(workerSaid) bool) {
	t.Helper()
	good := map[int]bool{}
	var last workerSaid
	for deadline := time.Now().Add(bound); len(good) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d of %d workers answered as wanted; last answer: pid %d %s", path, len(good), n, last.PID, last.Body)
		}
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&last)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if ok(last) {
			good[last.PID] = true
		}
	}
}

func clusterWorker(t *testing.T) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	needTool(t, err == nil, "node", "apt-get install nodejs")
	app, err := filepath.Abs(filepath.Join("testdata", "cluster", "worker.js"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{node, app}
}

// A worker written for Node's cluster module runs unchanged: its
// process.send("ready") makes it ready (--ready notify), its broadcasts
// reach the other workers and not itself, poolctl broadcast reaches all,
// the worker config arrives as a config-update message at start and at
// every push, and each worker's metrics show in poolctl status.
func TestClusterWorkersTalkThroughTheirChannels(t *testing.T) {
	t.Parallel()
	const workers = 3
	name := uniqueName(t)
	cfgFile := filepath.Join(t.TempDir(), "flags.json")
	writeFile(t, cfgFile, `{"featureFlag": true, "maxRequestSize": "10mb"}`)
	p := start(t, spec{
		args:    []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", itoa(workers), "--ready", "notify", "--worker-config", cfgFile},
		command: clusterWorker(t),
	})
	addr := p.addr()
	p.waitReady() // only READY=1 counts: process.send("ready") went through
	untilEveryWorker(t, addr, "/config", workers, func(a workerSaid) bool {
		return string(a.Body) == `{"featureFlag":true,"maxRequestSize":"10mb"}`
	})

	out := mustPoolctl(t, nil, "broadcast", name, `{"type":"broadcast","data":{"action":"invalidate-cache","key":"users"}}`)
	if want := fmt.Sprintf("%s: sent to %d workers\n", name, workers); out != want {
		t.Errorf("poolctl broadcast printed %q, want %q", out, want)
	}
	untilEveryWorker(t, addr, "/messages", workers, func(a workerSaid) bool {
		return strings.Contains(string(a.Body), `"key":"users"`)
	})

	// One worker broadcasts (the guide's invalidateCache); the others get
	// the very message it sent, the sender does not.
	var sender workerSaid
	if err := getJSON(addr, "/invalidate?key=sessions", &sender); err != nil {
		t.Fatal(err)
	}
	fromSender := fmt.Sprintf(`{"type":"broadcast","fromPid":%d,"data":{"action":"invalidate-cache","key":"sessions"}}`, sender.PID)
	untilEveryWorker(t, addr, "/messages", workers-1, func(a workerSaid) bool {
		return a.PID != sender.PID && strings.Contains(string(a.Body), fromSender)
	})
	untilEveryWorker(t, addr, "/messages", 1, func(a workerSaid) bool {
		if a.PID == sender.PID && strings.Contains(string(a.Body), `"sessions"`) {
			t.Fatalf("the sender got its own broadcast: %s", a.Body)
		}
		return a.PID == sender.PID
	})

	// Metrics arrive with the heartbeats.
	deadline := time.Now().Add(bound)
	for st := workerMetrics(t, name); !allReported(st, workers); st = workerMetrics(t, name) {
		if time.Now().After(deadline) {
			t.Fatalf("workers without metrics or channel: %+v", st)
		}
		time.Sleep(100 * time.Millisecond) // polling poolctl, not synchronisation
	}

	writeFile(t, cfgFile, `{"featureFlag": false}`)
	if out := mustPoolctl(t, nil, "reload", name, "--config-only"); out != fmt.Sprintf("%s: worker config sent to %d workers\n", name, workers) {
		t.Errorf("poolctl reload --config-only printed %q", out)
	}
	untilEveryWorker(t, addr, "/config", workers, func(a workerSaid) bool { return string(a.Body) == `{"featureFlag":false}` })

	// A broken config file fails the reload before any worker is replaced.
	writeFile(t, cfgFile, `{"featureFlag": `)
	r := poolctl(t, "", nil, "reload", name)
	if r.code != 1 || !strings.Contains(r.stderr, "worker config "+cfgFile) || !strings.Contains(r.stderr, "not valid JSON") {
		t.Errorf("reload with a broken worker config: %v", r)
	}
	if st := statusOf(t, nil, name); st.Pool.Generation != 1 || st.Pool.ReadyWorkers != workers {
		t.Errorf("after the refused reload: generation %d, %d ready; want 1 and %d", st.Pool.Generation, st.Pool.ReadyWorkers, workers)
	}
	if r := poolctl(t, "", nil, "broadcast", name, "{not json"); r.code != 2 || !strings.Contains(r.stderr, "not valid JSON") {
		t.Errorf("poolctl broadcast of bad JSON: %v", r)
	}
}

type reportedMetrics struct {
	PID           int    `json:"pid"`
	MetricsUSec   uint64 `json:"metrics_usec"`
	HeapUsedBytes uint64 `json:"heap_used_bytes"`
	RequestsTotal uint64 `json:"requests_total"`
	ChannelOpen   bool   `json:"channel_open"`
}

func workerMetrics(t *testing.T, name string) []reportedMetrics {
	t.Helper()
	var all []struct {
		Workers []reportedMetrics `json:"workers"`
	}
	out := mustPoolctl(t, nil, "status", "--json", name)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		t.Fatalf("poolctl status --json: %v in %s", err, out)
	}
	return all[0].Workers
}

// allReported: n workers, each with an open channel and metrics, and the
// requests the test made counted somewhere.
func allReported(ws []reportedMetrics, n int) bool {
	var requests uint64
	for _, w := range ws {
		if !w.ChannelOpen || w.MetricsUSec == 0 || w.HeapUsedBytes == 0 {
			return false
		}
		requests += w.RequestsTotal
	}
	return len(ws) == n && requests > 0
}

func getJSON(addr, path string, v any) error {
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
