package main

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		give string
		want syscall.Signal // 0: an error
	}{
		{"HUP", syscall.SIGHUP},
		{"SIGHUP", syscall.SIGHUP},
		{"sighup", syscall.SIGHUP},
		{"SigHup", syscall.SIGHUP},
		{"1", syscall.SIGHUP},
		{"usr2", syscall.SIGUSR2},
		{"TERM", syscall.SIGTERM},
		{"KILL", syscall.SIGKILL},
		{"winch", syscall.SIGWINCH},
		{"9", syscall.SIGKILL},
		{"IOT", syscall.SIGABRT},
		{"SIGPOLL", syscall.SIGIO},
		{"cld", syscall.SIGCHLD},
		{"RTMIN", 34},
		{"SIGRTMIN+2", 36},
		{"rtmax", 64},
		{"RTMAX-1", 63},
		{"RTMIN+30", 64},
		{"64", 64},
		{"RTMIN+31", 0},
		{"RTMAX+1", 0},
		{"RTMIN-1", 0},
		{"RTMIN+", 0},
		{"0", 0},
		{"65", 0},
		{"4294967297", 0},
		{"+1", 0},
		{"-1", 0},
		{"", 0},
		{"SIG", 0},
		{"SIGSIGHUP", 0},
		{"BOGUS", 0},
		{" HUP", 0},
	}
	for _, tt := range tests {
		got, err := parseSignal(tt.give)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("parseSignal(%q) = %d, want an error", tt.give, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", tt.give, got, err, tt.want)
		}
	}
}

func TestSignalName(t *testing.T) {
	tests := []struct {
		give syscall.Signal
		want string
	}{
		{syscall.SIGHUP, "SIGHUP"},
		{syscall.SIGUSR2, "SIGUSR2"},
		{34, "SIGRTMIN+0"},
		{40, "SIGRTMIN+6"},
		{32, "signal 32"},
	}
	for _, tt := range tests {
		if got := signalName(tt.give); got != tt.want {
			t.Errorf("signalName(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
