package config

import (
	"io"
	"strings"
	"testing"

	"github.com/poold/poold/internal/mode"
)

func TestWorkerLogs(t *testing.T) {
	tests := []struct {
		give    []string
		file    string
		want    mode.WorkerLogs
		wantErr string
	}{
		{give: nil, want: mode.LogsAuto},
		{give: []string{"--worker-logs", "journal"}, want: mode.LogsJournal},
		{give: []string{"--worker-logs=prefix"}, want: mode.LogsPrefix},
		{give: []string{"--worker-logs", "inherit"}, want: mode.LogsInherit},
		{give: nil, file: "worker-logs = prefix\n", want: mode.LogsPrefix},
		{give: []string{"--worker-logs", "auto"}, file: "worker-logs = inherit\n", want: mode.LogsAuto},
		{give: []string{"--worker-logs", "syslog"}, wantErr: `--worker-logs: worker-logs "syslog": want auto, journal, prefix or inherit`},
		{give: nil, file: "worker-logs = file\n", wantErr: `/etc/p.conf:1: --worker-logs: worker-logs "file"`},
	}
	for _, tt := range tests {
		args := tt.give
		if tt.file != "" {
			args = append([]string{"--config", "/etc/p.conf"}, args...)
		}
		c, err := parse(append(args, "--", "x"), env(), io.Discard,
			func(string) ([]byte, error) { return []byte(tt.file), nil })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) file %q: error = %v, want %q", tt.give, tt.file, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.WorkerLogs != tt.want {
			t.Errorf("Parse(%q) file %q = %v, %v; want %v", tt.give, tt.file, c.WorkerLogs, err, tt.want)
		}
	}
}

func TestUsageMentionsWorkerLogs(t *testing.T) {
	var b strings.Builder
	if _, err := Parse([]string{"--help"}, env(), &b); err != ErrHelp {
		t.Fatalf("Parse(--help) = %v", err)
	}
	for _, want := range []string{"-worker-logs string", "POOLD_SLOT", "(default \"auto\")"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}
