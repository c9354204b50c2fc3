package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/procstat"
	"github.com/poold/poold/internal/supervisor"
)

// fakePool is a snapshot source the test sets.
type fakePool struct {
	mu  sync.Mutex
	st  supervisor.Status
	err error
}

func (f *fakePool) Status(context.Context) (supervisor.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.err
}

func (f *fakePool) set(st supervisor.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
}

type fakeChannels map[uint64]channel.Stats

func (f fakeChannels) Stats(id uint64) (channel.Stats, bool) {
	s, ok := f[id]
	return s, ok
}

// usageOf reports samples for the PIDs in m, and "gone" for the others.
func usageOf(m map[int]procstat.Sample) func(int) (procstat.Sample, error) {
	return func(pid int) (procstat.Sample, error) {
		if s, ok := m[pid]; ok {
			return s, nil
		}
		return procstat.Sample{}, errors.New("no such process")
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestHandler serves c's registry as poold does.
func newTestHandler(t *testing.T, c *Collector) http.Handler {
	t.Helper()
	reg, err := NewRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	return Handler(reg, quiet)
}

// families is a parsed scrape.
type families map[string]*dto.MetricFamily

// scrape GETs /metrics from h and parses the text format.
func scrape(t *testing.T, h http.Handler) families {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", Path, rec.Code, rec.Body)
	}
	return parse(t, rec.Body)
}

func parse(t *testing.T, r io.Reader) families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return mfs
}

// find returns the series of name whose labels include want.
func (f families) find(name string, want map[string]string) []*dto.Metric {
	var out []*dto.Metric
	mf := f[name]
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		if hasLabels(m, want) {
			out = append(out, m)
		}
	}
	return out
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// value is the one series of name with labels (given as name, value
// pairs), failing t when there is not exactly one.
func (f families) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	ms := f.find(name, pairs(labels))
	if len(ms) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labels, len(ms))
	}
	m := ms[0]
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s%v: not a gauge or counter", name, labels)
	return 0
}

func (f families) absent(t *testing.T, name string, labels ...string) {
	t.Helper()
	if ms := f.find(name, pairs(labels)); len(ms) != 0 {
		t.Errorf("%s%v: %d series, want none", name, labels, len(ms))
	}
}

// withLabel lists the families that have a series labelled name=value.
func (f families) withLabel(name, value string) []string {
	var out []string
	for n := range f {
		if len(f.find(n, map[string]string{name: value})) > 0 {
			out = append(out, n)
		}
	}
	return out
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func typeOf(f families, name string) string {
	if mf := f[name]; mf != nil {
		return strings.ToLower(mf.GetType().String())
	}
	return "missing"
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
