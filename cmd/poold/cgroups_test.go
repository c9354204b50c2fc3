package main

import "testing"

func TestServiceOfCgroup(t *testing.T) {
	tests := []struct{ give, want string }{
		{"0::/system.slice/poold@web.service\n", "poold@web.service"},
		{"0::/system.slice/system-poold.slice/poold@web.service/supervisor\n", "poold@web.service"},
		{"1:name=systemd:/system.slice/myapp.service/supervisor\n0::/\n", "myapp.service"},
		{"0::/user.slice/user-1000.slice/session-2.scope\n", ""},
		{"0::/\n", ""},
	}
	for _, tt := range tests {
		if got := serviceOfCgroup(tt.give); got != tt.want {
			t.Errorf("serviceOfCgroup(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
