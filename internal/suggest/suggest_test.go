package suggest

import "testing"

func TestClosest(t *testing.T) {
	flags := []string{"workers", "max-workers", "listen", "log-level", "name", "json", "stop-timeout"}
	for _, tt := range []struct {
		give   string
		want   string
		wantOK bool
	}{
		{"wokers", "workers", true},
		{"worker", "workers", true},
		{"Workers", "workers", true},
		{"lsiten", "listen", true},
		{"jsn", "json", true},
		{"max-worker", "max-workers", true},
		{"stop-timout", "stop-timeout", true},
		{"nam", "name", true},
		{"x", "", false},
		{"js", "", false},
		{"bogus", "", false},
		{"timeout", "", false},
	} {
		got, ok := Closest(tt.give, flags)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.give, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"wokers", "workers", 1}, {"ab", "ba", 2},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
