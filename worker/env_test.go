package worker

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestParseListenEnv(t *testing.T) {
	const pid = 4242
	for _, tt := range []struct {
		name      string
		give      []string
		wantN     int
		wantNames []string
		wantErr   bool
	}{
		{"nothing passed", nil, 0, nil, false},
		{"another process's", []string{"LISTEN_PID=1", "LISTEN_FDS=2"}, 0, nil, false},
		{"named", []string{"LISTEN_PID=4242", "LISTEN_FDS=2", "LISTEN_FDNAMES=http:admin"}, 2, []string{"http", "admin"}, false},
		{"names missing", []string{"LISTEN_PID=4242", "LISTEN_FDS=2"}, 2, []string{"unknown", "unknown"}, false},
		{"a name empty", []string{"LISTEN_PID=4242", "LISTEN_FDS=2", "LISTEN_FDNAMES=:admin"}, 2, []string{"unknown", "admin"}, false},
		{"count not a number", []string{"LISTEN_PID=4242", "LISTEN_FDS=two"}, 0, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, names, err := parseListenEnv(envOf(tt.give...), pid)
			if n != tt.wantN || !reflect.DeepEqual(names, tt.wantNames) || (err != nil) != tt.wantErr {
				t.Errorf("parseListenEnv(%v) = %d, %q, %v; want %d, %q, error %v", tt.give, n, names, err, tt.wantN, tt.wantNames, tt.wantErr)
			}
		})
	}
}

func TestWatchdogPeriod(t *testing.T) {
	const pid = 4242
	for _, tt := range []struct {
		give []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"WATCHDOG_USEC=2000000"}, time.Second},
		{[]string{"WATCHDOG_USEC=2000000", "WATCHDOG_PID=4242"}, time.Second},
		{[]string{"WATCHDOG_USEC=2000000", "WATCHDOG_PID=1"}, 0},
		{[]string{"WATCHDOG_USEC=0"}, 0},
		{[]string{"WATCHDOG_USEC=soon"}, 0},
	} {
		if got := watchdogPeriod(envOf(tt.give...), pid); got != tt.want {
			t.Errorf("watchdogPeriod(%v) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestGiveUpAfter(t *testing.T) {
	for _, tt := range []struct {
		give string
		want time.Duration
	}{
		{"", 9 * time.Second},
		{"POOLD_STOP_TIMEOUT_MS=30000", 29 * time.Second},
		{"POOLD_STOP_TIMEOUT_MS=10000", 9 * time.Second},
		{"POOLD_STOP_TIMEOUT_MS=5000", 4500 * time.Millisecond},
		{"POOLD_STOP_TIMEOUT_MS=-1", 9 * time.Second},
	} {
		if got := giveUpAfter(envOf(tt.give)); got != tt.want {
			t.Errorf("giveUpAfter(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
