package main

import (
	"strings"
	"testing"
)

// Usage errors exit 2 with one line on stderr and never reach a bus.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the message
	}{
		{[]string{"scale", "express", "-1"}, `-1: counts and slots cannot be negative`},
		{[]string{"scale", "express", "--", "-1"}, `"-1" is not a worker count`},
		{[]string{"scale", "express", "abc"}, `"abc" is not a worker count`},
		{[]string{"scale", "express", "+4"}, `"+4" is not a worker count`},
		{[]string{"scale", "express", "4.0"}, `"4.0" is not a worker count`},
		{[]string{"scale", "express", "99999999999"}, `worker count 99999999999 is too large`},
		{[]string{"scale", "express"}, `scale needs a pool name and a worker count, got 1 argument`},
		{[]string{"scale", "express", "4", "5"}, `got 3 arguments`},
		{[]string{"scale", "express", "0"}, `add --allow-zero`},
		{[]string{"signal", "express", "BOGUS"}, `unknown signal "BOGUS"; use one of HUP INT`},
		{[]string{"signal", "express", "0"}, `signal number 0 is out of range (1-64)`},
		{[]string{"signal", "express", "HUP", "x"}, `"x" is not a slot number`},
		{[]string{"signal", "express", "HUP", "-1"}, `-1: counts and slots cannot be negative`},
		{[]string{"signal", "express"}, `signal needs a pool name, a signal and optionally a slot`},
		{[]string{"restart", "x", "y"}, `"y" is not a slot number or "all"`},
		{[]string{"restart", "x"}, `restart needs a pool name and a slot number or "all"`},
		{[]string{"reload"}, `reload needs a pool name, got 0 arguments`},
		{[]string{"reload", "a", "b"}, `got 2 arguments`},
		{[]string{"list", "x"}, `list needs no arguments, got 1 argument`},
		{[]string{"status", "--bogus"}, `unknown flag: --bogus (see`},
		{[]string{"status", "--jsn"}, `unknown flag: --jsn; did you mean --json?`},
		{[]string{"status", "-json"}, `unknown shorthand flag: 'j' in -json; did you mean --json?`},
		{[]string{"--verbos", "list"}, `unknown flag: --verbos; did you mean --verbose?`},
		{[]string{"reload", "x", "--config-onl"}, `unknown flag: --config-onl; did you mean --config-only?`},
		{[]string{"init", "x", "--lsiten", ":1", "--", "a"}, `unknown flag: --lsiten; did you mean --listen?`},
		{[]string{"list", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"stats"}, `unknown command "stats"; did you mean "status"?`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := poolctl(t, env(), tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit code %d, want %d", r.code, exitUsage)
			}
			if r.dials != 0 {
				t.Errorf("dialled %d buses for a usage error", r.dials)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "poolctl: ") || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr %q, want one line \"poolctl: ...%s...\"", r.stderr, tt.want)
			}
			if !strings.HasSuffix(lines[0], "--help')") {
				t.Errorf("stderr %q does not point at --help", r.stderr)
			}
		})
	}
}

// Valid arguments get past validation: with no pool anywhere, the command
// fails (exit 1) looking for the pool.
func TestValidArgs(t *testing.T) {
	for _, args := range [][]string{
		{"scale", "x", "0", "--allow-zero"},
		{"scale", "--allow-zero", "x", "0"},
		{"scale", "x", "08"},
		{"signal", "x", "sigusr2"},
		{"signal", "x", "RTMIN+1", "3"},
		{"restart", "x", "all"},
		{"restart", "x", "0"},
		{"reload", "x", "--timeout", "10m"},
		{"status", "x", "--json"},
	} {
		r := poolctl(t, env(), args...)
		if r.code != exitFailure || r.dials == 0 || !strings.HasPrefix(r.stderr, `poolctl: no pool named "x" (`) {
			t.Errorf("%q: code %d, %d dials, stderr %q", args, r.code, r.dials, r.stderr)
		}
	}
}
