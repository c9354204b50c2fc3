package config

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/mode"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParse(t *testing.T) {
	c, err := Parse([]string{"--listen", "127.0.0.1:3000", "--listen", "admin=unix:/run/a.sock",
		"--workers", "4", "--ready", "notify", "--stop-timeout", "5s", "--", "node", "server.js", "--port", "1"}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Listen) != 2 || c.Listen[1].Name != "admin" || c.Listen[1].Network != "unix" {
		t.Errorf("listen = %+v", c.Listen)
	}
	if c.Workers != (WorkerCount{N: 4, From: "--workers", Input: "4"}) {
		t.Errorf("workers = %+v", c.Workers)
	}
	if c.Ready != mode.ReadyNotify || c.StopTimeout != 5*time.Second {
		t.Errorf("ready %v stop %v", c.Ready, c.StopTimeout)
	}
	if got := strings.Join(c.Command, " "); got != "node server.js --port 1" {
		t.Errorf("command = %q", got)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]string{"--listen", "nonsense", "--workers", "-1", "--ready", "tcp",
		"--stop-timeout", "0s", "--worker-memory", "lots", "--log-level", "loud", "--name", "a/b",
		"--distribution", "round-robin"}, env(), io.Discard)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`"nonsense"`, `--workers="-1": want a whole number`, "--ready: ready mode \"tcp\"",
		"--stop-timeout 0s: want a positive duration", "--worker-memory", `--log-level "loud"`,
		`--name "a/b"`, `--distribution: distribution "round-robin"`, "no worker command",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseWorkerCount(t *testing.T) {
	tests := []struct {
		flag    string
		env     func(string) string
		want    WorkerCount
		wantErr string
	}{
		{"", env(), WorkerCount{Auto: true, From: "default"}, ""},
		{"auto", env("POOLD_WORKERS", "3"), WorkerCount{Auto: true, From: "--workers", Input: "auto"}, ""},
		{"", env("POOLD_WORKERS", "3", "WEB_CONCURRENCY", "5"), WorkerCount{N: 3, From: "POOLD_WORKERS", Input: "3"}, ""},
		{"", env("WEB_CONCURRENCY", "5"), WorkerCount{N: 5, From: "WEB_CONCURRENCY", Input: "5"}, ""},
		{"2", env("WEB_CONCURRENCY", "5"), WorkerCount{N: 2, From: "--workers", Input: "2"}, ""},
		{"0", env(), WorkerCount{}, `--workers="0": want a whole number`},
		{"", env("WEB_CONCURRENCY", "many"), WorkerCount{}, `WEB_CONCURRENCY="many"`},
	}
	for _, tt := range tests {
		got, err := ParseWorkerCount(tt.flag, tt.env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseWorkerCount(%q) error = %v, want %q", tt.flag, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseWorkerCount(%q) = %+v, %v; want %+v", tt.flag, got, err, tt.want)
		}
	}
}

func TestWorkersAboveMaxIsAnError(t *testing.T) {
	_, err := Parse([]string{"--workers", "100", "--", "x"}, env(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--workers=100 is above --max-workers 64") {
		t.Fatalf("error = %v", err)
	}
}

func TestDeriveName(t *testing.T) {
	tests := []struct {
		unit    string
		command []string
		want    string
	}{
		{"myapp.service", []string{"node", "x.js"}, "myapp"},
		{"poold@shop.service", nil, "shop"},
		{"", []string{"node", "--enable-source-maps", "server.js"}, "server"},
		{"", []string{"python3", "-m", "app"}, "app"},
		{"", []string{"/usr/local/bin/api-server", "--port", "1"}, "api-server"},
		{"", []string{"node"}, "node"},
		{"", []string{"./my app!"}, "myapp"},
		{"", []string{"sh", "-c", "exec node server.js"}, "sh"},
		{"", nil, "poold"},
		{"", []string{"node", ".."}, "poold"},         // never "." or ".."
		{"", []string{"./.hidden-app"}, "hidden-app"}, // nor a leading '.'
		{"poold@-web.service", nil, "web"},            // nor a leading '-'
		{"", []string{strings.Repeat("x", 70)}, strings.Repeat("x", 64)},
	}
	for _, tt := range tests {
		got := DeriveName(tt.unit, tt.command)
		if got != tt.want || !ValidName(got) {
			t.Errorf("DeriveName(%q, %q) = %q, want %q", tt.unit, tt.command, got, tt.want)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"myapp", true}, {"my-app_2.0", true}, {"_x", true}, {"9lives", true}, {strings.Repeat("a", 64), true},
		{"", false}, {".", false}, {"..", false}, {".hidden", false}, {"-x", false}, {"--help", false},
		{"a/b", false}, {"../etc", false}, {"a\x00b", false}, {"a\x00", false}, {"a b", false}, {"é", false},
		{strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.give); got != tt.want {
			t.Errorf("ValidName(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
	for _, name := range []string{".", "..", "-x"} {
		_, err := Parse([]string{"--name", name, "--", "x"}, env(), io.Discard)
		if want := fmt.Sprintf("--name %q: use letters", name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--name %s: %v, want %q", name, err, want)
		}
	}
}

func TestMaxUnavailable(t *testing.T) {
	tests := []struct {
		args    []string
		want    int
		wantErr string
	}{
		{[]string{"--workers", "4"}, 0, ""},
		{[]string{"--workers", "4", "--max-unavailable", "3"}, 3, ""},
		{[]string{"--workers", "4", "--max-unavailable", "4"}, 0, "--max-unavailable 4 is not below the worker count 4"},
		{[]string{"--workers", "1", "--max-unavailable", "1"}, 0, "--max-unavailable 1 is not below the worker count 1"},
		{[]string{"--workers", "2", "--max-unavailable", "-1"}, 0, "--max-unavailable -1: want 0 or more"},
		{[]string{"--max-unavailable", "8"}, 8, ""}, // auto: capped once the count is known
	}
	for _, tt := range tests {
		c, err := Parse(append(tt.args, "--", "x"), env(), io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.MaxUnavailable != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.args, c.MaxUnavailable, err, tt.want)
		}
	}
}

func TestMaxUnavailableIsReportedWithTheOtherProblems(t *testing.T) {
	_, err := Parse([]string{"--workers", "2", "--max-unavailable", "2", "--min-ready", "3", "--", "x"}, env(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--max-unavailable 2") || !strings.Contains(err.Error(), "--min-ready 3") {
		t.Fatalf("error = %v, want both problems", err)
	}
}

func TestUsageMentionsMaxUnavailable(t *testing.T) {
	var b strings.Builder
	if _, err := Parse([]string{"--help"}, env(), &b); err != ErrHelp {
		t.Fatalf("Parse(--help) = %v", err)
	}
	if !strings.Contains(b.String(), "-max-unavailable") {
		t.Fatalf("usage lacks --max-unavailable:\n%s", b.String())
	}
}

func TestDistribution(t *testing.T) {
	tests := []struct {
		give    []string
		want    mode.Distribution
		wantErr string
	}{
		{nil, mode.Shared, ""},
		{[]string{"--distribution", "shared"}, mode.Shared, ""},
		{[]string{"--distribution", "balanced"}, mode.Balanced, ""},
		{[]string{"--distribution=sticky"}, mode.Sticky, ""},
		{[]string{"--distribution", "Sticky"}, 0, `--distribution: distribution "Sticky"`},
		{[]string{"--distribution", ""}, 0, `--distribution: distribution ""`},
	}
	for _, tt := range tests {
		c, err := Parse(append(tt.give, "--", "x"), env(), io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.give, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.Distribution != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.give, c.Distribution, err, tt.want)
		}
	}
}

func TestUsageMentionsDistribution(t *testing.T) {
	var b strings.Builder
	if _, err := Parse([]string{"--help"}, env(), &b); err != ErrHelp {
		t.Fatalf("Parse(--help) = %v", err)
	}
	for _, want := range []string{"-distribution string", "shared", "balanced", "sticky", "(default \"shared\")"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}

// parseCase parses flags give, with the environment vars (name, value,
// ...) and, when file is set, /etc/p.conf holding it, for a worker command x.
func parseCase(give, vars []string, file string) (Config, error) {
	args := give
	if file != "" {
		args = append([]string{"--config", "/etc/p.conf"}, args...)
	}
	return parse(append(args, "--", "x"), env(vars...), io.Discard,
		func(string) ([]byte, error) { return []byte(file), nil })
}

func TestNodePreload(t *testing.T) {
	tests := []struct {
		give    []string
		env     []string
		file    string
		want    mode.NodePreload
		wantErr string
	}{
		{give: nil, want: mode.NodePreloadAuto},
		{give: []string{"--node-preload", "off"}, want: mode.NodePreloadOff},
		{give: []string{"--node-preload=auto"}, env: []string{"POOLD_NODE_PRELOAD", "off"}, want: mode.NodePreloadAuto},
		{give: nil, env: []string{"POOLD_NODE_PRELOAD", "off"}, want: mode.NodePreloadOff},
		{give: nil, file: "node-preload = off\n", want: mode.NodePreloadOff},
		{give: []string{"--node-preload", "auto"}, file: "node-preload = off\n", want: mode.NodePreloadAuto},
		{give: []string{"--node-preload", "no"}, wantErr: `--node-preload: node-preload "no": want auto or off`},
		{give: nil, env: []string{"POOLD_NODE_PRELOAD", "0"}, wantErr: `POOLD_NODE_PRELOAD: node-preload "0": want auto or off`},
		{give: nil, file: "node-preload = maybe\n", wantErr: `/etc/p.conf:1: --node-preload: node-preload "maybe"`},
	}
	for _, tt := range tests {
		c, err := parseCase(tt.give, tt.env, tt.file)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) env %q file %q: error = %v, want %q", tt.give, tt.env, tt.file, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.NodePreload != tt.want {
			t.Errorf("Parse(%q) env %q file %q = %v, %v; want %v", tt.give, tt.env, tt.file, c.NodePreload, err, tt.want)
		}
	}
}

func TestNodeDrain(t *testing.T) {
	tests := []struct {
		give    []string
		env     []string
		file    string
		want    bool
		wantErr string
	}{
		{give: nil, want: true},
		{give: []string{"--node-drain", "off"}, want: false},
		{give: []string{"--node-drain=on"}, env: []string{"POOLD_NODE_DRAIN", "off"}, want: true},
		{give: nil, env: []string{"POOLD_NODE_DRAIN", "off"}, want: false},
		{give: nil, env: []string{"POOLD_NODE_DRAIN", "on"}, want: true},
		{give: nil, file: "node-drain = off\n", want: false},
		{give: nil, file: "node-drain = off\n", env: []string{"POOLD_NODE_DRAIN", "on"}, want: false},
		{give: []string{"--node-drain", "on"}, file: "node-drain = off\n", want: true},
		{give: []string{"--node-drain", "yes"}, wantErr: `--node-drain: node-drain "yes": want on or off`},
		{give: nil, env: []string{"POOLD_NODE_DRAIN", "0"}, wantErr: `POOLD_NODE_DRAIN: node-drain "0": want on or off`},
		{give: nil, file: "node-drain = Off\n", wantErr: `/etc/p.conf:1: --node-drain: node-drain "Off"`},
	}
	for _, tt := range tests {
		c, err := parseCase(tt.give, tt.env, tt.file)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) env %q file %q: error = %v, want %q", tt.give, tt.env, tt.file, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.NodeDrain != tt.want {
			t.Errorf("Parse(%q) env %q file %q = %v, %v; want %v", tt.give, tt.env, tt.file, c.NodeDrain, err, tt.want)
		}
	}
}

func TestUsageMentionsNodePreload(t *testing.T) {
	var b strings.Builder
	if _, err := Parse([]string{"--help"}, env(), &b); err != ErrHelp {
		t.Fatalf("Parse(--help) = %v", err)
	}
	for _, want := range []string{"-node-preload string", "NODE_OPTIONS", "$POOLD_NODE_PRELOAD, else auto", "-node-drain string", "$POOLD_NODE_DRAIN, else on"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}

func TestRuntimeDir(t *testing.T) {
	c, err := Parse([]string{"--listen", ":3000", "--runtime-dir", "/srv/myapp/run", "--", "node"}, env(), io.Discard)
	if err != nil || c.RuntimeDir != "/srv/myapp/run" {
		t.Errorf("--runtime-dir: %q, %v", c.RuntimeDir, err)
	}
	c, err = Parse([]string{"--listen", ":3000", "--", "node"}, env(), io.Discard)
	if err != nil || c.RuntimeDir != "" {
		t.Errorf("no --runtime-dir: %q, %v; want the default, empty", c.RuntimeDir, err)
	}
	if err := CheckFile("app.conf", []byte("runtime-dir = /srv/myapp/run\ncommand = node\n")); err != nil {
		t.Errorf("runtime-dir in a config file: %v", err)
	}
}

// A mistyped flag is named as it was written, with the flag it was
// probably meant to be.
func TestUnknownFlagSuggestsTheNearest(t *testing.T) {
	for _, tt := range []struct {
		give string
		want string
	}{
		{"--wokers", "unknown flag --wokers; did you mean --workers?"},
		{"-stop-timout", "unknown flag --stop-timout; did you mean --stop-timeout?"},
		{"--frobnicate", "unknown flag --frobnicate"},
	} {
		_, err := Parse([]string{tt.give, "4", "--", "x"}, env(), io.Discard)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%s) = %v, want %q", tt.give, err, tt.want)
		}
	}
}
