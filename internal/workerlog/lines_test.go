package workerlog

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSplitLines(t *testing.T) {
	tests := []struct {
		name string
		give string
		max  int
		want []string
	}{
		{"lines", "a\nbb\n", 16, []string{"a", "bb"}},
		{"empty lines kept", "\n\nx\n", 16, []string{"", "", "x"}},
		{"partial last line", "a\nno newline", 16, []string{"a", "no newline"}},
		{"nothing", "", 16, nil},
		{"long line split", strings.Repeat("x", 40) + "\n", 16, []string{strings.Repeat("x", 16), strings.Repeat("x", 16), strings.Repeat("x", 8)}},
		{"exactly max: no empty line after", strings.Repeat("y", 16) + "\nz\n", 16, []string{strings.Repeat("y", 16), "z"}},
		{"twice max", strings.Repeat("y", 32) + "\n\n", 16, []string{strings.Repeat("y", 16), strings.Repeat("y", 16), ""}},
		{"long partial last line", strings.Repeat("w", 20), 16, []string{strings.Repeat("w", 16), "wwww"}},
		{"carriage return and NUL kept", "a\r\nb\x00c\n", 16, []string{"a\r", "b\x00c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.give), iotest.OneByteReader(strings.NewReader(tt.give))} {
				var got []string
				if err := splitLines(r, tt.max, func(b []byte) { got = append(got, string(b)) }); err != nil {
					t.Fatal(err)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
					t.Errorf("splitLines(%q) = %q, want %q", tt.give, got, tt.want)
				}
			}
		})
	}
}

func TestSplitLinesReportsReadErrors(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nhalf"), iotest.ErrReader(boom))
	var got []string
	err := splitLines(r, 16, func(b []byte) { got = append(got, string(b)) })
	if !errors.Is(err, boom) || strings.Join(got, "|") != "a|half" {
		t.Errorf("got %q, %v; want a, half and the error", got, err)
	}
}

func TestLevelPrefix(t *testing.T) {
	tests := []struct {
		give     string
		want     int
		wantRest string
		wantOK   bool
	}{
		{"<3>disk full", 3, "disk full", true},
		{"<0>", 0, "", true},
		{"<7> debug", 7, " debug", true},
		{"<04>warn", 4, "warn", true},
		{"<006>info", 6, "info", true},
		{"<8>not a level", 0, "<8>not a level", false},
		{"<13>facility and level", 0, "<13>facility and level", false},
		{"<0003>too long", 0, "<0003>too long", false},
		{"<x>", 0, "<x>", false},
		{"<>", 0, "<>", false},
		{"<3", 0, "<3", false},
		{"3>", 0, "3>", false},
		{"plain <3> inside", 0, "plain <3> inside", false},
	}
	for _, tt := range tests {
		level, rest, ok := levelPrefix([]byte(tt.give))
		if level != tt.want || string(rest) != tt.wantRest || ok != tt.wantOK {
			t.Errorf("levelPrefix(%q) = %d, %q, %v; want %d, %q, %v", tt.give, level, rest, ok, tt.want, tt.wantRest, tt.wantOK)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Auto, Journal, Prefix, Inherit} {
		if got, err := ParseMode(m.String()); got != m || err != nil {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("syslog"); err == nil || !strings.Contains(err.Error(), "want auto, journal, prefix or inherit") {
		t.Errorf("ParseMode(syslog) error = %v", err)
	}
	tests := []struct {
		give    Mode
		journal bool
		want    Mode
	}{
		{Auto, true, Journal}, {Auto, false, Prefix}, {Prefix, true, Prefix}, {Inherit, true, Inherit}, {Journal, false, Journal},
	}
	for _, tt := range tests {
		if got := tt.give.Resolve(tt.journal); got != tt.want {
			t.Errorf("%v.Resolve(%v) = %v, want %v", tt.give, tt.journal, got, tt.want)
		}
	}
}
