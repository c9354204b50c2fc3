package activation

import "testing"

func TestInUseAdvice(t *testing.T) {
	tests := []struct {
		give ListenSpec
		hs   []Holder
		want string
	}{
		{ListenSpec{Network: "tcp", Address: ":3000"}, nil,
			"no process this user can see listens on it; `ss -ltnp 'sport = :3000'` as root names it"},
		{ListenSpec{Network: "unix", Address: "/run/x.sock"}, nil,
			"no process this user can see listens on it; `ss -lxp 'src /run/x.sock'` as root names it"},
		{ListenSpec{Network: "tcp", Address: ":3000"}, []Holder{{PID: 7, Command: "nginx: master"}},
			"held by pid 7 (nginx: master): stop them, or listen on another address"},
		{ListenSpec{Network: "tcp", Address: ":3000"}, []Holder{{PID: 7, Command: "node a.js", Pool: "web", Worker: "3"}, {PID: 9, Command: "sleep 9"}},
			`held by pid 7 (node a.js, worker 3 of pool "web"), pid 9 (sleep 9): stop them, or listen on another address; ` +
				"workers of a poold that is gone are orphans: kill them (kill 7)"},
	}
	for _, tt := range tests {
		if got := inUseAdvice(tt.give, tt.hs); got != tt.want {
			t.Errorf("inUseAdvice(%v, %v) = %q, want %q", tt.give, tt.hs, got, tt.want)
		}
	}
}
