package bench

import (
	"encoding/xml"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

const wrkErrors = `Running 10s test @ http://127.0.0.1:21005/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.26ms   14.06ms 342.39ms   97.04%
    Req/Sec     1.23k   172.01     1.51k    80.50%
  Latency Distribution
     50%  812.00us
     75%    9.47ms
     90%   11.39ms
     99%    1.20s
  24541 requests in 10.01s, 6.76MB read
  Socket errors: connect 1, read 57, write 2, timeout 4
  Non-2xx or 3xx responses: 3
Requests/sec:   2452.03
Transfer/sec:    691.39KB
`

const wrkClean = `Running 6s test @ http://127.0.0.1:22500/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.67ms   18.24ms 299.00ms   95.27%
    Req/Sec     2.06k   669.80     3.34k    63.33%
  24619 requests in 6.02s, 6.93MB read
Requests/sec:   4092.91
Transfer/sec:      1.15MB
`

func TestParseWrk(t *testing.T) {
	w, err := ParseWrk(wrkErrors)
	if err != nil {
		t.Fatal(err)
	}
	if w.Requests != 24541 || w.Seconds != 10.01 || w.RPS != 2452.03 {
		t.Errorf("totals: %+v", w)
	}
	want := map[string]float64{"50": 0.812, "75": 9.47, "90": 11.39, "99": 1200}
	for k, v := range want {
		if math.Abs(w.Latency[k]-v) > 1e-9 {
			t.Errorf("p%s = %v ms, want %v", k, w.Latency[k], v)
		}
	}
	if w.Connect != 1 || w.Read != 57 || w.Write != 2 || w.Timeout != 4 || w.Non2xx != 3 || w.Failed() != 67 {
		t.Errorf("errors: %+v, failed %d", w, w.Failed())
	}

	w, err = ParseWrk(wrkClean)
	if err != nil {
		t.Fatal(err)
	}
	if w.Failed() != 0 || w.Requests != 24619 || len(w.Latency) != 0 {
		t.Errorf("clean run: %+v", w)
	}

	for _, bad := range []string{"", "unable to connect to 127.0.0.1:1 Connection refused\n",
		strings.Replace(wrkErrors, "812.00us", "812.00xx", 1)} {
		if _, err := ParseWrk(bad); err == nil {
			t.Errorf("ParseWrk(%q) did not fail", bad)
		}
	}
}

func TestWrkArgs(t *testing.T) {
	ls := Loads(2000000)
	got := strings.Join(WrkArgs(ls[1], "127.0.0.1:3000", 10*time.Second, 2, "1"), " ")
	want := "taskset -c 1 wrk -t2 -c50 -d10s --latency --timeout 5s -H Connection: close http://127.0.0.1:3000/"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = strings.Join(WrkArgs(ls[2], "127.0.0.1:3000", 2*time.Second, 2, ""), " ")
	if !strings.HasPrefix(got, "wrk -t2 -c8 -d2s") || !strings.HasSuffix(got, "/heavy?n=2000000") {
		t.Errorf("heavy: %s", got)
	}
}

func TestSummarize(t *testing.T) {
	if s := Summarize([]float64{5, 1, 3}); s != (Spread{Median: 3, Min: 1, Max: 5, N: 3}) {
		t.Errorf("odd: %+v", s)
	}
	xs := []float64{4, 1, 3, 2}
	if s := Summarize(xs); s != (Spread{Median: 2.5, Min: 1, Max: 4, N: 4}) {
		t.Errorf("even: %+v", s)
	}
	if !slices.Equal(xs, []float64{4, 1, 3, 2}) {
		t.Error("Summarize sorted its argument")
	}
	if s := Summarize(nil); s != (Spread{}) {
		t.Errorf("none: %+v", s)
	}
	if v := Imbalance([]float64{3, 1.5}); v != 2 {
		t.Errorf("imbalance %v", v)
	}
	if v := Imbalance([]float64{0, 2}); !math.IsInf(v, 1) {
		t.Errorf("imbalance of an idle worker %v", v)
	}
	if !math.IsNaN(Ratio(1, 0)) || Ratio(3, 2) != 1.5 {
		t.Error("Ratio")
	}
}

func TestParseStat(t *testing.T) {
	st, err := parseStat("4242 (PM2 v7.0.4: God) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 11 0 5 1 2 3")
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != 1 || st.Comm != "PM2 v7.0.4: God" || st.CPU != 3 {
		t.Errorf("%+v", st)
	}
	if _, err := parseStat("4242 (x) S"); err == nil {
		t.Error("short stat parsed")
	}
	if !isZombie("7 (node) Z 1 7") || isZombie("7 (a) Z) S 1 7") {
		t.Error("isZombie")
	}
}

// fixture is a small run: two reps of three contenders, operational runs
// and the idle pool, with numbers chosen to meet some goals and miss others.
func fixture() *Results {
	res := &Results{
		Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Finished: time.Date(2026, 1, 2, 3, 24, 0, 0, time.UTC),
		Machine: Machine{CPU: "Test CPU <x>", Cores: 2, Kernel: "6.1", Node: "v20", PM2: "7.0.4", Wrk: "wrk 4.1.0", Go: "go1.26", Poold: "dev"},
		Config: Config{Workers: 2, Reps: 2, Duration: 10, WrkThreads: 2, HeavyN: 2000000, Recommended: "balanced",
			IdleWorkers: 8, Contenders: []string{"single", "cluster-rr", "pm2", "poold-balanced"},
			Labels: map[string]string{"cluster-rr": "Node cluster, round-robin"}, Loads: Loads(2000000),
			OpsDuration: 5, PinCheck: "1", QuietPct: 10},
		Discarded: []Run{{Contender: "pm2"}}, Waited: 12,
	}
	res.Config.OpsLoads = res.Config.Loads[:2]
	rps := map[string][3]float64{
		"single": {6000, 4000, 150}, "cluster-rr": {10000, 4500, 290}, "pm2": {9500, 3600, 292}, "poold-balanced": {10500, 7000, 295},
	}
	for rep := 1; rep <= 2; rep++ {
		for name, v := range rps {
			for i, l := range res.Config.Loads {
				r := v[i] * (1 + 0.05*float64(rep-1))
				if name == "poold-balanced" && l.Name == "keepalive" && rep == 2 {
					r = 9000 // below cluster-rr in one repetition: missed
				}
				run := Run{Contender: name, Load: l.Name, Rep: rep, LoadAvg: 1.5,
					Wrk:       Wrk{Requests: int64(r * 10), Seconds: 10, RPS: r, Latency: map[string]float64{"99": 12.5}, CPU: 6},
					WorkerCPU: []float64{8, 7}, WorkerRSS: []int64{90000, 91000}}
				if name == "single" {
					run.WorkerCPU, run.WorkerRSS = []float64{10}, []int64{80000}
				} else {
					run.SupCPU, run.SupRSS = 0.01, 11000
				}
				res.Runs = append(res.Runs, run)
			}
		}
	}
	for _, l := range res.Config.OpsLoads {
		res.Ops = append(res.Ops,
			Op{Contender: "poold-balanced", Kind: "reload", Load: l.Name, Rep: 1, Seconds: 0.9},
			Op{Contender: "pm2", Kind: "reload", Load: l.Name, Rep: 1, Seconds: 1.1, Wrk: Wrk{Read: 60}},
			Op{Contender: "poold-balanced", Kind: "kill", Load: l.Name, Rep: 1, Seconds: 0.4, Wrk: Wrk{Read: 25}})
	}
	res.Idle = []Idle{{Contender: "poold-balanced", Bus: "none", Workers: 8, SupRSS: 9000, SupAnon: 4000, SupFile: 5000, WorkerRSS: []int64{50000}}}
	res.Pin = []PinRun{{Contender: "cluster-rr", Load: "keepalive", Wrk: Wrk{RPS: 10000}},
		{Contender: "cluster-rr", Load: "keepalive", WrkCPUs: "1", Wrk: Wrk{RPS: 8000}}}
	return res
}

func TestGoals(t *testing.T) {
	got := map[string]string{}
	for _, g := range Goals(fixture()) {
		got[g.Goal] = g.Status
	}
	want := map[string]string{
		"new connection per request: poold-balanced ≥ 1.3x cluster-rr":                         "met",
		"new connection per request: poold-balanced ≥ 1.3x pm2":                                "met",
		"keep-alive: poold-balanced ≥ 1.0x cluster-rr in every repetition":                     "**missed**",
		"CPU-bound: poold-balanced (2 workers) ≥ 1.9x a single process":                        "met",
		"poold's RSS ≤ 10 MiB with 8 workers":                                                  "met",
		"poold's CPU under load ≈ 0 (≤ 1 % of a core)":                                         "met",
		"rolling reload under keep-alive load: zero failed requests for poold":                 "met",
		"rolling reload under new connection per request load: zero failed requests for poold": "met",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("goals %v", got)
	}
}

func TestMarkdownAndChart(t *testing.T) {
	res := fixture()
	md := Markdown(res, "benchmarks.svg")
	for _, s := range []string{
		"# Benchmarks", "![Requests per second", "(benchmarks.svg)",
		"| Node cluster, round-robin | 10250 (10000-10500) | 1.00x |",
		"| poold-balanced | 7175 (7000-7350) | 1.56x |",
		"53/47 % (max/min 1.14)", "| pm2 | reload | keep-alive | 60 | 0/60/0/0/0 | 1.10 s (1.10-1.10) |",
		"Why reloads fail requests under keep-alive", "| CPU | Test CPU <x>, 2 cores |", "make bench-quick",
		"| Node cluster, round-robin | keep-alive | 10000 | 8000 |",
		"waited 12 s in all for a quiet machine (under 10 % of a core busy) before runs, and redid 1 runs",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	svg := Chart(res)
	dec := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if rects != 1+4+3*4 { // background, legend, then a bar per contender and load
		t.Errorf("%d rects", rects)
	}
	if !strings.Contains(svg, "Test CPU &lt;x&gt;") {
		t.Error("chart text not escaped")
	}
	if s := Summary(res); !strings.Contains(s, "missed       keep-alive") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestRecommend(t *testing.T) {
	res := &Results{Config: Config{Duration: 10}}
	add := func(mode, load string, rps ...float64) {
		for i, v := range rps {
			res.Runs = append(res.Runs, Run{Contender: "poold-" + mode, Load: load, Rep: i + 1, Wrk: Wrk{RPS: v, Seconds: 10}})
		}
	}
	if m, _ := Recommend(res); m != "balanced" {
		t.Errorf("nothing measured: %s", m)
	}
	add("shared", "keepalive", 6000, 3000, 6100) // one collapsed repetition
	add("balanced", "keepalive", 5800, 5700, 5900)
	add("shared", "close", 4000)
	add("balanced", "close", 3000)
	if m, why := Recommend(res); m != "balanced" || !strings.Contains(why, "shared 3000, balanced 5700") {
		t.Errorf("collapse: %s (%s)", m, why)
	}
	res.Runs[1].Wrk.RPS = 5650 // within 3 %: the new-connection median decides
	if m, why := Recommend(res); m != "shared" || !strings.Contains(why, "shared 4000, balanced 3000") {
		t.Errorf("tie: %s (%s)", m, why)
	}
}

func TestOtherCPU(t *testing.T) {
	r := Run{Wrk: Wrk{Seconds: 10, CPU: 4}, WorkerCPU: []float64{6, 6}, SupCPU: 1, SysBusy: 19}
	if got := r.OtherCPU(); math.Abs(got-20) > 1e-9 {
		t.Errorf("other %v %%, want 20", got)
	}
	r.SysBusy = 16 // wrk's own time spans a little more than the window
	if got := r.OtherCPU(); got != 0 {
		t.Errorf("other %v %%, want 0", got)
	}
}

func TestKilo(t *testing.T) {
	for in, want := range map[float64]string{250: "250", 1000: "1k", 1250: "1.25k", 3750: "3.75k", 2500: "2.5k"} {
		if got := kilo(in); got != want {
			t.Errorf("kilo(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	res := fixture()
	path := t.TempDir() + "/r.json"
	if err := res.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if Markdown(got, "c.svg") != Markdown(res, "c.svg") || len(got.Runs) != len(res.Runs) {
		t.Error("results changed through Save and LoadResults")
	}
}

func TestNiceMax(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 7: 8, 10: 10, 11: 12, 2100: 2400, 4999: 5000, 6100: 8000, 9000: 10000} {
		if got := niceMax(in); got != want {
			t.Errorf("niceMax(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestDrainReport(t *testing.T) {
	res := fixture()
	res.Config.DrainReps, res.Config.DrainMode = 2, "balanced"
	res.ServerJSHandlesTerm = true
	on, off := Unmodified("balanced", true).Name, Unmodified("balanced", false).Name
	for rep := 1; rep <= 2; rep++ {
		res.Drain = append(res.Drain,
			Op{Contender: on, Kind: "reload", Load: "keepalive", Rep: rep, Seconds: 0.7, Before: 2, After: 2, Wrk: Wrk{RPS: 5000, Seconds: 4, CPU: 1},
				ServerCPU: 5, SysBusy: 6.4},
			Op{Contender: off, Kind: "reload", Load: "keepalive", Rep: rep, Seconds: 0.5, Before: 2, After: 2, Wrk: Wrk{RPS: 4000, Read: int64(48 + rep), Seconds: 4}},
			Op{Contender: on, Kind: "scale-down", Load: "keepalive", Rep: rep, Seconds: 0.2, Before: 2, After: 1, Wrk: Wrk{RPS: 5000}},
			Op{Contender: off, Kind: "scale-down", Load: "keepalive", Rep: rep, Seconds: 0.05, Before: 2, After: 1, Wrk: Wrk{RPS: 4500, Read: 24, Write: int64(rep - 1)}})
	}
	res.Drain = append(res.Drain, Op{Contender: off, Kind: "scale-down", Load: "keepalive", Rep: 3, Seconds: -1, Err: "poolctl scale: boom"})
	md := Markdown(res, "benchmarks.svg")
	for _, s := range []string{
		"## An unmodified app: reload and scale-down, with and without the drain",
		"`bench/unmodified.js`", "--distribution balanced --node-drain off -- node unmodified.js",
		"| reload | on (default) | 0 (0-0) | 0, 0 | 0/0/0/0/0 | 0.70 s (0.70-0.70) | 5000 |",
		"| reload | off (`--node-drain off`) | 49.5 (49-50) | 49, 50 | 0/99/0/0/0 | 0.50 s (0.50-0.50) | 4000 |",
		"| scale-down 2 → 1 | off (`--node-drain off`) | 24.5 (24-25) | 24, 25, error: poolctl scale: boom | 0/48/1/0/0 |",
		"**With the drain**, failed requests per operation, median (min-max) over 2 repetitions: a reload 0 (0-0), a scale-down 0 (0-0).",
		"**With `--node-drain off`**, failed requests per operation, median (min-max) over 2 repetitions: a reload 49.5 (49-50), a scale-down 24.5 (24-25).",
		"Without the drain, 147 of the 148 failures were read errors",
		"For comparison, failed requests per reload in the section above, same load, `server.js`, with its own SIGTERM handler: pm2 60.",
		"Other work during these runs (the machine's busy time outside poold, its workers and wrk): median 10 % of a core (10-10)",
		"CPU pinning: none, poold, its workers and wrk share the 2 cores",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	path := t.TempDir() + "/r.json"
	if err := res.Save(path); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadResults(path); err != nil || Markdown(got, "benchmarks.svg") != md {
		t.Errorf("drain experiment changed through Save and LoadResults (%v)", err)
	}
	if i, j := strings.Index(md, "## Rolling reload"), strings.Index(md, "## An unmodified app"); i < 0 || j < i {
		t.Error("drain section not after the operational runs")
	}
	sum := Summary(res)
	for _, s := range []string{"reload     drain on  0 (0-0)", "scale-down drain off 24.5 (24-25)"} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}

	res.Drain = res.Drain[:0]
	res.DrainNote = "not run: a scale-down needs 2 workers or more, the pool has 1"
	if md := Markdown(res, "c.svg"); !strings.Contains(md, "Not run: "+res.DrainNote) {
		t.Error("report lacks why the drain experiment was not run")
	}
	res.DrainNote = ""
	if md := Markdown(res, "c.svg"); strings.Contains(md, "An unmodified app") {
		t.Error("drain section without a drain experiment")
	}
}

func TestTreeCPUFields(t *testing.T) {
	st, err := parseStat("4242 (poold) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 50 120 30 20 0 11 0 5 1 2 3")
	if err != nil {
		t.Fatal(err)
	}
	if st.CPU != 3 || st.ChildCPU != 1.5 {
		t.Errorf("%+v", st)
	}
	if st, err := parseStat("4242 (x) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 50"); err != nil || st.ChildCPU != 0 || st.CPU != 3 {
		t.Errorf("cut short: %+v %v", st, err)
	}
	o := Op{Wrk: Wrk{Seconds: 4, CPU: 1}, ServerCPU: 5, SysBusy: 6.4}
	if got := o.OtherCPU(); math.Abs(got-10) > 1e-9 {
		t.Errorf("other %v %%, want 10", got)
	}
}

func TestDrainHeadline(t *testing.T) {
	res := fixture()
	if drainHeadline(res) != "" {
		t.Error("headline without a drain experiment")
	}
	res.Config.DrainReps, res.Config.DrainMode = 1, "shared"
	res.Drain = []Op{
		{Contender: Unmodified("shared", true).Name, Kind: "reload", Load: "keepalive", Rep: 1},
		{Contender: Unmodified("shared", false).Name, Kind: "scale-down", Load: "keepalive", Rep: 1, Wrk: Wrk{Read: 26}},
	}
	want := "over 1 repetition: drain on (default): reload 0; drain off: scale-down 26 ([details](#an-unmodified-app"
	if got := drainHeadline(res); !strings.Contains(got, want) {
		t.Errorf("headline %q lacks %q", got, want)
	}
	if md := Markdown(res, "c.svg"); !strings.Contains(md, want) {
		t.Error("report lacks the headline")
	}
}

func TestHandlesTerm(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]bool{
		`process.on("SIGTERM", function () {})`:              true,
		"process.once( 'SIGTERM', stop)":                     true,
		`app.listen(3000); // no handler, SIGTERM is Node's`: false,
	} {
		path := dir + "/server.js"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := handlesTerm(path); got != want {
			t.Errorf("handlesTerm(%q) = %v", text, got)
		}
	}
	if handlesTerm(dir + "/missing.js") {
		t.Error("a missing file handles SIGTERM")
	}
	if handlesTerm("unmodified.js") {
		t.Error("bench/unmodified.js handles SIGTERM")
	}
}

func TestOutlasted(t *testing.T) {
	for _, c := range []struct {
		o    Op
		want bool
	}{
		{Op{Kind: "reload", At: 2, Seconds: 1.5, Wrk: Wrk{Seconds: 8}}, false},
		{Op{Kind: "reload", At: 1, Seconds: 3.4, Wrk: Wrk{Seconds: 4}}, true},
		{Op{Kind: "scale-down", At: 1, Seconds: -1, Wrk: Wrk{Seconds: 4}}, true},
		{Op{Kind: "scale-down", At: 1, Seconds: -1, Err: "poolctl: boom", Wrk: Wrk{Seconds: 4}}, false},
		{Op{Kind: "kill", At: 1, Seconds: -1, Wrk: Wrk{Seconds: 4}}, false},
		{Op{Kind: "reload", Seconds: 9, Wrk: Wrk{Seconds: 4}}, false}, // saved before At
	} {
		if got := c.o.Outlasted(); got != c.want {
			t.Errorf("%+v: outlasted %v", c.o, got)
		}
	}
	res := fixture()
	res.Ops[1].At, res.Ops[1].Seconds, res.Ops[1].Wrk.Seconds = 1, 3.5, 4 // pm2's keep-alive reload
	res.OpsDiscarded = []Op{res.Ops[1], res.Ops[1], {Contender: "poold-unmodified", Kind: "reload", Load: "keepalive"}}
	md := Markdown(res, "c.svg")
	for _, s := range []string{"| pm2 | reload | keep-alive | 60† |",
		"2 runs redone because the reload or scale-down had not ended by the end of the load",
		"1 run kept, after 3 attempts, although it had not: marked †."} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}
