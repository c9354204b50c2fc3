package plural

import "testing"

func TestOf(t *testing.T) {
	for _, tt := range []struct {
		give int
		want string
	}{
		{0, "0 workers"}, {1, "1 worker"}, {2, "2 workers"}, {-1, "-1 worker"}, {-2, "-2 workers"},
	} {
		if got := Of(tt.give, "worker"); got != tt.want {
			t.Errorf("Of(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
