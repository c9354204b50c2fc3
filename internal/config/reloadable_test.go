package config

import (
	"io"
	"slices"
	"testing"
)

func TestNeedRestartNamesWhatAReloadCannotChange(t *testing.T) {
	parse := func(args ...string) Config {
		t.Helper()
		c, err := Parse(append(args, "--", "app"), env(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := parse("--listen", "127.0.0.1:3000", "--workers", "2", "--stop-timeout", "30s")
	tests := []struct {
		name string
		give Config
		want []string
	}{
		{"nothing", parse("--listen", "127.0.0.1:3000", "--workers", "2", "--stop-timeout", "30s"), nil},
		{"reloadable only", parse("--listen", "127.0.0.1:3000", "--workers", "5", "--stop-timeout", "30s",
			"--node-preload", "off", "--env-file", "-/nonexistent.env"), nil},
		{"listen and distribution", parse("--listen", "127.0.0.1:3001", "--workers", "2", "--distribution", "balanced"),
			[]string{"listen changed from listen=127.0.0.1:3000 to listen=127.0.0.1:3001", "distribution changed from shared to balanced"}},
		{"nested", parse("--listen", "127.0.0.1:3000", "--workers", "2", "--stop-timeout", "10s", "--recycle-age", "1h", "--restart-delay", "1s",
			"--ready-timeout", "5s", "--max-unavailable", "1"),
			[]string{"stop-timeout changed from 30s to 10s"}},
		{"health", parse("--listen", "127.0.0.1:3000", "--workers", "2", "--stop-timeout", "30s", "--worker-watchdog", "5s",
			"--recycle-memory", "1G", "--recycle-requests", "1000", "--recycle-loop-delay", "1s"),
			[]string{"worker-watchdog changed from 0s to 5s", "recycle-memory changed from none to 1 GiB"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range NeedRestart(old, tt.give) {
			got = append(got, c.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: NeedRestart = %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
