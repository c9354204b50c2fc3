package logging

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	tests := []struct {
		give      Output
		wantTime  bool
		wantColor bool
	}{
		{Terminal, true, true},
		{Journal, false, false},
		{Plain, true, false},
	}
	stamp := regexp.MustCompile(`^\d\d:\d\d:\d\d `)
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for _, tt := range tests {
		var buf bytes.Buffer
		New(&buf, tt.give, slog.LevelInfo).Info("worker ready", "slot", 2)
		raw := buf.String()
		line := ansi.ReplaceAllString(raw, "")
		if got := stamp.MatchString(line); got != tt.wantTime {
			t.Errorf("output %d: timestamp = %v in %q", tt.give, got, line)
		}
		if got := strings.Contains(raw, "\x1b["); got != tt.wantColor {
			t.Errorf("output %d: colour = %v in %q", tt.give, got, raw)
		}
		if !strings.Contains(line, "worker ready") || !strings.Contains(line, "slot=2") {
			t.Errorf("output %d: %q lacks the message or attribute", tt.give, line)
		}
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Plain, slog.LevelWarn).Info("hidden")
	if buf.Len() != 0 {
		t.Fatalf("info logged at warn level: %q", buf.String())
	}
}
