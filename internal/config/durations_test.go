package config

import (
	"io"
	"strings"
	"testing"
)

// Every duration flag must be positive; the ones off by default may also
// be 0, so that the command line can turn off what a config file set.
func TestDurationFlags(t *testing.T) {
	mustBePositive := []string{"ready-timeout", "stop-timeout", "ready-delay", "restart-delay", "restart-delay-max",
		"stable-after", "recycle-memory-for", "recycle-loop-delay-for"}
	offAt0 := []string{"worker-watchdog", "recycle-loop-delay", "recycle-age"}
	tests := []struct {
		flags []string
		give  string
		want  string // "" for accepted
	}{
		{mustBePositive, "0s", "want a positive duration such as 500ms or 30s"},
		{mustBePositive, "-1s", "want a positive duration such as 500ms or 30s"},
		{mustBePositive, "1ns", ""},
		{offAt0, "0s", ""},
		{offAt0, "-1s", "want a positive duration such as 500ms or 30s, or 0 for off"},
		{offAt0, "1ms", ""},
		{[]string{"recycle-loop-delay", "recycle-age"}, "1ns", ""},
		{[]string{"worker-watchdog"}, "999us", "--worker-watchdog 999µs: want at least 1ms, or 0 for off"},
	}
	for _, tt := range tests {
		for _, flag := range tt.flags {
			args := []string{"--" + flag, tt.give}
			if other, ok := map[string]string{"restart-delay": "restart-delay-max", "restart-delay-max": "restart-delay"}[flag]; ok && tt.want == "" {
				args = append(args, "--"+other, tt.give) // the maximum must not be below the first delay
			}
			_, err := Parse(append(args, "--", "x"), env(), io.Discard)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("--%s %s: %v, want it accepted", flag, tt.give, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), "--"+flag+" ") || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("--%s %s: %v, want %q", flag, tt.give, err, tt.want)
			}
		}
	}
}
