package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Results are everything one harness run measured, as kept in
// bench/results/*.json and rendered into docs/benchmarks.md.
type Results struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Quick    bool      `json:"quick"`
	Machine  Machine   `json:"machine"`
	Config   Config    `json:"config"`
	Runs     []Run     `json:"runs"`
	Ops      []Op      `json:"ops"`
	// Drain is the drain experiment (drain.go): reloads and scale-downs of
	// the unmodified app under keep-alive load, with the preload's drain on
	// and off; DrainNote says why a part of it was not run.
	Drain     []Op   `json:"drain_ops,omitempty"`
	DrainNote string `json:"drain_note,omitempty"`
	// ServerJSHandlesTerm says whether examples/express/server.js, the app
	// of the other runs, had a SIGTERM handler of its own in this run.
	ServerJSHandlesTerm bool     `json:"server_js_handles_sigterm,omitempty"`
	Idle                []Idle   `json:"idle"`
	Pin                 []PinRun `json:"pin_check,omitempty"`
	// Runs redone because other work used the machine meanwhile, and the
	// time spent waiting for it to be quiet.
	Discarded []Run `json:"discarded,omitempty"`
	// Operational runs (Ops and Drain) redone because the operation ended
	// after the load.
	OpsDiscarded []Op    `json:"ops_discarded,omitempty"`
	Waited       float64 `json:"waited_s"`
}

// Config is how the harness ran.
type Config struct {
	Workers     int     `json:"workers"`
	Reps        int     `json:"reps"`
	Duration    float64 `json:"duration_s"`
	Warmup      float64 `json:"warmup_s"`
	WrkThreads  int     `json:"wrk_threads"`
	HeavyN      int     `json:"heavy_n"`
	WrkCPUs     string  `json:"wrk_cpus"`
	ServerCPUs  string  `json:"server_cpus"`
	Recommended string  `json:"recommended"` // poold's mode for Node.js, whose goals are checked
	// RecommendedBy says how the harness chose it (-recommended auto).
	RecommendedBy string            `json:"recommended_by,omitempty"`
	IdleWorkers   int               `json:"idle_workers"`
	PinCheck      string            `json:"pin_check"` // CPUs wrk was pinned to in the pinning check, "" for none
	QuietPct      float64           `json:"quiet_pct"` // other work above this (% of a core) makes the harness wait or redo a run
	Contenders    []string          `json:"contenders"`
	Labels        map[string]string `json:"labels"`
	Loads         []Load            `json:"loads"`
	OpsLoads      []Load            `json:"ops_loads"`
	OpsDuration   float64           `json:"ops_duration_s"`
	// The drain experiment: its repetitions (0: not run) and poold's
	// distribution mode in it (the recommended one).
	DrainReps     int     `json:"drain_reps"`
	DrainMode     string  `json:"drain_mode,omitempty"`
	DrainDuration float64 `json:"drain_duration_s,omitempty"` // length of one run; the operation comes a quarter into it
}

// Machine is what the numbers were measured on.
type Machine struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Kernel  string `json:"kernel"`
	OS      string `json:"os"`
	Node    string `json:"node"`
	Express string `json:"express"`
	PM2     string `json:"pm2"`
	Wrk     string `json:"wrk"`
	Go      string `json:"go"`
	Poold   string `json:"poold"`
	// PooldNodeOptions is NODE_OPTIONS as a poold worker saw it: poold's
	// Node.js preload (docs/nodejs.md), when poold has one.
	PooldNodeOptions string `json:"poold_worker_node_options"`
}

// Run is one contender under one load, one repetition.
type Run struct {
	Contender string    `json:"contender"`
	Load      string    `json:"load"`
	Rep       int       `json:"rep"`
	Wrk       Wrk       `json:"wrk"`
	WorkerCPU []float64 `json:"worker_cpu_s"` // per worker, during the run
	WorkerRSS []int64   `json:"worker_rss_kib"`
	SupCPU    float64   `json:"supervisor_cpu_s"` // 0 without a supervisor
	SupRSS    int64     `json:"supervisor_rss_kib"`
	LoadAvg   float64   `json:"loadavg_before"` // 1-minute load average just before
	// The whole machine during the run, seconds over all CPUs: busy time
	// (the servers, wrk, the kernel's networking and anything else) and
	// time stolen by the hypervisor.
	SysBusy  float64 `json:"system_busy_s"`
	SysSteal float64 `json:"system_steal_s"`
	Attempt  int     `json:"attempt"` // 1, or more when earlier runs were discarded
}

// OtherCPU is the machine's busy time outside the servers and wrk during
// the run, in % of one core: the kernel's loopback networking and any
// other work. wrk's own time spans its start and exit, a little more than
// the window: the difference is clamped at 0.
func (r Run) OtherCPU() float64 {
	if r.Wrk.Seconds <= 0 || r.SysBusy <= 0 {
		return 0
	}
	ours := r.SupCPU + r.Wrk.CPU
	for _, c := range r.WorkerCPU {
		ours += c
	}
	return max(0, r.SysBusy-ours) / r.Wrk.Seconds * 100
}

// Op is an operational run: a rolling reload, a scale-down by one worker or
// a worker's SIGKILL under load.
type Op struct {
	Contender string `json:"contender"`
	Kind      string `json:"kind"` // reload, scale-down or kill
	Load      string `json:"load"`
	Rep       int    `json:"rep"`
	Wrk       Wrk    `json:"wrk"`
	// Seconds: kill: to the first answer of a replacement; reload: to all
	// workers new; scale-down: until the stopped worker has exited; -1
	// never.
	Seconds float64 `json:"seconds"`
	Err     string  `json:"error,omitempty"`
	// At is when the operation began, seconds after the load's start.
	At float64 `json:"at_s,omitempty"`
	// Attempt is 1, or more when earlier runs were redone (Outlasted).
	Attempt int `json:"attempt,omitempty"`
	// Workers before the operation and once the load is over.
	Before int `json:"workers_before,omitempty"`
	After  int `json:"workers_after,omitempty"`
	// During the load: the CPU time of the contender's processes (its
	// supervisor and every worker, also those that exited meanwhile), and
	// the whole machine's busy and stolen time, seconds (see Run).
	ServerCPU float64 `json:"server_cpu_s,omitempty"`
	SysBusy   float64 `json:"system_busy_s,omitempty"`
	SysSteal  float64 `json:"system_steal_s,omitempty"`
}

// Outlasted says whether a reload or scale-down had not ended (all workers
// new, the stopped worker gone) by the end of the load: the workers stopped
// after it were not stopped under load. Runs saved without At count as
// ended.
func (o Op) Outlasted() bool {
	if (o.Kind != "reload" && o.Kind != "scale-down") || o.Err != "" || o.At <= 0 {
		return false
	}
	return o.Seconds < 0 || o.At+o.Seconds > o.Wrk.Seconds
}

// OtherCPU is, as for a Run, the machine's busy time outside the contender
// and wrk during the operational run, in % of one core; 0 when not
// measured.
func (o Op) OtherCPU() float64 {
	if o.Wrk.Seconds <= 0 || o.SysBusy <= 0 {
		return 0
	}
	return max(0, o.SysBusy-o.ServerCPU-o.Wrk.CPU) / o.Wrk.Seconds * 100
}

// Idle is an idle pool's memory.
type Idle struct {
	Contender string  `json:"contender"`
	Bus       string  `json:"bus"`
	Workers   int     `json:"workers"`
	SupRSS    int64   `json:"supervisor_rss_kib"`
	SupAnon   int64   `json:"supervisor_rss_anon_kib"` // heap, stacks: RssAnon
	SupFile   int64   `json:"supervisor_rss_file_kib"` // the binary's mapped pages: RssFile
	SupCPU    float64 `json:"supervisor_cpu_s"`        // over the idle wait
	WorkerRSS []int64 `json:"worker_rss_kib"`
}

// Save writes r as JSON, one field of Results a line and one element a
// line in its lists, so that a diff of two runs reads run by run.
func (r *Results) Save(path string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	keys := slices.Sorted(maps.Keys(fields))
	var out strings.Builder
	out.WriteString("{\n")
	for i, k := range keys {
		fmt.Fprintf(&out, "%q: ", k)
		var list []json.RawMessage
		if json.Unmarshal(fields[k], &list) == nil && len(list) > 0 {
			out.WriteString("[\n")
			for j, e := range list {
				out.WriteString("  " + string(e) + sep(j, len(list)))
			}
			out.WriteString("]")
		} else {
			out.Write(fields[k])
		}
		out.WriteString(sep(i, len(keys)))
	}
	out.WriteString("}\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}

// sep ends element i of n in a JSON list or object.
func sep(i, n int) string {
	if i < n-1 {
		return ",\n"
	}
	return "\n"
}

// Load reads results saved by Save.
func LoadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	return &r, json.Unmarshal(b, &r)
}

// Describe finds what the machine and the contenders' versions are.
func Describe(root string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/etc/debian_version"); err == nil {
		m.OS += " (" + strings.TrimSpace(string(b)) + ")"
	}
	m.Node = firstLine(exec.Command("node", "--version").Output())
	m.Express = pkgVersion(filepath.Join(root, "examples", "express", "node_modules", "express"))
	m.PM2 = pkgVersion(filepath.Join(root, "bench", "node_modules", "pm2"))
	w, _ := exec.Command("wrk", "-v").CombinedOutput()
	m.Wrk, _, _ = strings.Cut(firstLine(w, nil), " Copyright")
	m.Poold = firstLine(exec.Command(filepath.Join(root, "bin", "poold"), "--version").Output())
	return m
}

func firstLine(b []byte, _ error) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(s)
}

func pkgVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	_ = json.Unmarshal(b, &p)
	return p.Version
}
