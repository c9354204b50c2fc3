package config

import (
	"io"
	"strings"
	"testing"

	"github.com/poold/poold/internal/listenspec"
)

func TestMetricsListen(t *testing.T) {
	tests := []struct {
		give    []string
		want    listenspec.Spec
		wantErr string
	}{
		{give: nil, want: listenspec.Spec{}},
		{give: []string{"--metrics-listen", "127.0.0.1:9464"}, want: listenspec.Spec{Name: "metrics", Network: "tcp", Address: "127.0.0.1:9464"}},
		{give: []string{"--metrics-listen", ":9464"}, want: listenspec.Spec{Name: "metrics", Network: "tcp", Address: ":9464"}},
		{give: []string{"--metrics-listen", "[::1]:0"}, want: listenspec.Spec{Name: "metrics", Network: "tcp", Address: "[::1]:0"}},
		{give: []string{"--metrics-listen", "unix:/run/myapp/metrics.sock"}, want: listenspec.Spec{Name: "metrics", Network: "unix", Address: "/run/myapp/metrics.sock"}},
		{give: []string{"--metrics-listen", "9464"}, wantErr: `--metrics-listen "9464": want HOST:PORT`},
		{give: []string{"--metrics-listen", "localhost:9464"}, wantErr: `--metrics-listen "localhost:9464": `},
		{give: []string{"--metrics-listen", "127.0.0.1:99999"}, wantErr: `--metrics-listen "127.0.0.1:99999": `},
		{give: []string{"--metrics-listen", "unix:run/m.sock"}, wantErr: `--metrics-listen "unix:run/m.sock": unix socket path "run/m.sock": want an absolute path`},
		{give: []string{"--metrics-listen", "m=127.0.0.1:9464"}, wantErr: `--metrics-listen "m=127.0.0.1:9464": want HOST:PORT, [IPV6]:PORT, :PORT or unix:/PATH, without NAME=`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.give, " "), func(t *testing.T) {
			args := append(append([]string{}, tt.give...), "--", "node", "server.js")
			c, err := Parse(args, env(), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "--listen") {
					t.Errorf("err = %v: names --listen", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MetricsListen != tt.want {
				t.Errorf("MetricsListen = %+v, want %+v", c.MetricsListen, tt.want)
			}
		})
	}
}

func TestMetricsListenFromConfigFile(t *testing.T) {
	err := CheckFile("/etc/poold/myapp.conf", []byte("command = node server.js\nmetrics-listen = 127.0.0.1:nope\n"))
	if err == nil || !strings.Contains(err.Error(), `/etc/poold/myapp.conf:2: --metrics-listen "127.0.0.1:nope"`) {
		t.Errorf("err = %v, want it at line 2 of the file", err)
	}
	if err := CheckFile("/etc/poold/myapp.conf", []byte("command = node server.js\nmetrics-listen = :9464\n")); err != nil {
		t.Errorf("err = %v", err)
	}
}

func TestUsageMentionsMetricsListen(t *testing.T) {
	var b strings.Builder
	if _, err := Parse([]string{"--help"}, env(), &b); err != ErrHelp {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(b.String(), "-metrics-listen ADDR") {
		t.Errorf("usage lacks --metrics-listen:\n%s", b.String())
	}
}
