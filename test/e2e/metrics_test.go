package e2e

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// --metrics-listen serves the pool in the Prometheus text format: the ready
// workers with series of their own, which go with the workers a reload
// replaces, and the reload in its counter and histogram.
func TestMetricsFollowThePoolThroughAReload(t *testing.T) {
	t.Parallel()
	const workers = 2
	p := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", itoa(workers), "--metrics-listen", "127.0.0.1:0", "--bus", "none"},
		helper: "drain-serve",
	})
	url := "http://" + metricsAddr(t, p) + "/metrics"
	p.waitReady()

	f := scrapeMetrics(t, url)
	if got := f.value(t, "poold_workers", "state", "ready"); got != workers {
		t.Errorf("poold_workers{state=ready} = %v, want %d", got, workers)
	}
	old := startedWorkers(p.logs.all())
	if len(old) != workers {
		t.Fatalf("workers started before ready: %v, want %d", old, workers)
	}
	for pid := range old {
		if got := f.value(t, "poold_worker_state", "pid", itoa(pid), "generation", "1", "state", "ready"); got != 1 {
			t.Errorf("worker %d: poold_worker_state{state=ready} = %v, want 1", pid, got)
		}
		if got := f.value(t, "poold_worker_resident_memory_bytes", "pid", itoa(pid)); got <= 0 {
			t.Errorf("worker %d: resident memory %v, want some", pid, got)
		}
	}
	if got := f.value(t, "poold_reloads_total"); got != 0 {
		t.Errorf("poold_reloads_total = %v before any reload", got)
	}

	p.signal(syscall.SIGHUP)
	p.waitLog(`INF reload complete .*\bgeneration=2 replaced=`+itoa(workers)+`\b`, bound)
	for pid := range old { // then the last old worker drains and exits
		p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b`, bound)
	}
	f = scrapeMetrics(t, url)
	for name, want := range map[string]float64{"poold_reloads_total": 1, "poold_reloads_failed_total": 0, "poold_generation": 2} {
		if got := f.value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if h := f.histogram(t, "poold_reload_duration_seconds"); h.GetSampleCount() != 1 || h.GetSampleSum() <= 0 {
		t.Errorf("reload duration histogram: count %d sum %v, want 1 and more than 0", h.GetSampleCount(), h.GetSampleSum())
	}
	for pid := range old {
		if names := f.withLabel("pid", itoa(pid)); len(names) != 0 {
			t.Errorf("worker %d exited but still has series %v", pid, names)
		}
	}
	for pid, gen := range startedWorkers(p.logs.all()) {
		if gen == 2 {
			if got := f.value(t, "poold_worker_state", "pid", itoa(pid), "generation", "2", "state", "ready"); got != 1 {
				t.Errorf("new worker %d: poold_worker_state{state=ready} = %v, want 1", pid, got)
			}
		}
	}
}

// An address in use stops poold at start, before any worker runs; a bad
// one is a usage error.
func TestMetricsAddressProblemsStopStartup(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--metrics-listen", ln.Addr().String(), "--bus", "none"}, helper: "serve"})
	if code := p.wait(bound); code != 1 {
		t.Errorf("poold with its metrics address in use exited %d, want 1", code)
	}
	p.waitSeen(`poold cannot start .*metrics endpoint `+strings.ReplaceAll(ln.Addr().String(), ".", `\.`)+`: .*address already in use`, bound)
	if p.sawLog(`worker started`) {
		t.Error("a worker started although the metrics endpoint could not")
	}

	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, pooldBin, "--listen", "127.0.0.1:0", "--metrics-listen", "9464", "--", "true")
	cmd.Env = protocolFree(cmd.Environ())
	out, err := cmd.CombinedOutput()
	if code, err := exitCode(err); err != nil || code != 2 || !strings.Contains(string(out), `--metrics-listen "9464"`) {
		t.Errorf("poold --metrics-listen 9464: exit %d (%v), output:\n%s\nwant exit 2 naming the flag", code, err, out)
	}
}

// metricsAddr is the address poold logged for --metrics-listen.
func metricsAddr(t *testing.T, p *pool) string {
	t.Helper()
	l := p.waitSeen(`INF metrics endpoint .*\baddr=\S+`, bound)
	_, addr, _ := strings.Cut(l.text, " addr=")
	addr, _, _ = strings.Cut(addr, " ")
	return addr
}

// metricFamilies is a parsed scrape.
type metricFamilies map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, url string) metricFamilies {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: parse: %v", url, err)
	}
	return mfs
}

// find returns the series of name whose labels include want (name, value
// pairs).
func (f metricFamilies) find(name string, want ...string) []*dto.Metric {
	var out []*dto.Metric
	for _, m := range f[name].GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		ok := true
		for i := 0; i+1 < len(want); i += 2 {
			ok = ok && got[want[i]] == want[i+1]
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// value is the gauge or counter value of the one series of name with labels.
func (f metricFamilies) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	ms := f.find(name, labels...)
	if len(ms) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labels, len(ms))
	}
	if g := ms[0].GetGauge(); g != nil {
		return g.GetValue()
	}
	return ms[0].GetCounter().GetValue()
}

func (f metricFamilies) histogram(t *testing.T, name string) *dto.Histogram {
	t.Helper()
	ms := f.find(name)
	if len(ms) != 1 || ms[0].GetHistogram() == nil {
		t.Fatalf("%s: %d series, want one histogram", name, len(ms))
	}
	return ms[0].GetHistogram()
}

// withLabel lists the families with a series labelled name=value.
func (f metricFamilies) withLabel(name, value string) []string {
	var out []string
	for n := range f {
		if len(f.find(n, name, value)) > 0 {
			out = append(out, n)
		}
	}
	return out
}
