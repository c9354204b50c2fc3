package procfs

import (
	"os"
	"testing"
)

func TestUnitOfCgroup(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"system service", "0::/system.slice/ssh.service\n", "ssh.service"},
		{"nested slices, control process", "0::/system.slice/system-poold.slice/poold@web.service/.control\n", "poold@web.service"},
		{"login session", "0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope"},
		{"user manager's unit", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/top.scope\n", "user@1000.service"},
		{"root cgroup", "0::/\n", ""},
		{"no unit", "0::/docker/4f2a\n", ""},
		{"a bare suffix is no unit", "0::/system.slice/.service\n", ""},
		{"cgroup v1", "12:pids:/user.slice\n1:name=systemd:/system.slice/cron.service\n0::/\n", "cron.service"},
		{"unified, on a hybrid host", "9:name=systemd:/\n4:memory:/\n0::/system.slice/system-poold.slice/poold@web.service/.control\n", "poold@web.service"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnitOfCgroup(tt.give); got != tt.want {
				t.Errorf("UnitOfCgroup(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestCommAndParent(t *testing.T) {
	if got := Parent(os.Getpid()); got != os.Getppid() {
		t.Errorf("Parent = %d, want %d", got, os.Getppid())
	}
	if got := Comm(os.Getpid()); got == "" || len(got) > 15 {
		t.Errorf("Comm = %q, want the test binary's name, at most 15 bytes", got)
	}
	if ppid := os.Getppid(); ppid > 1 && !HasAncestor(os.Getpid(), Comm(ppid)) {
		t.Errorf("the parent, %s, is not among the ancestors", Comm(ppid))
	}
	if HasAncestor(os.Getpid(), "no-such-comm") {
		t.Error("an ancestor called no-such-comm")
	}
	if Parent(-1) != 0 || Comm(-1) != "" || Unit(-1) != "" {
		t.Error("a process that does not exist has a parent, a name or a unit")
	}
}
