package dbusapi

import "testing"

func TestParseBusMode(t *testing.T) {
	for _, tt := range []struct{ give, want string }{
		{"", BusModeAuto}, {"auto", BusModeAuto}, {"system", BusModeSystem},
		{"session", BusModeSession}, {"private", BusModePrivate}, {"none", BusModeNone},
		{"System", ""}, {"user", ""},
	} {
		got, err := ParseBusMode(tt.give)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("ParseBusMode(%q) = %q, %v; want %q", tt.give, got, err, tt.want)
		}
	}
}
