package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// A bad invocation exits 2 at once with a message naming the problem.
func TestBadInvocationExits2(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		give []string
		want string
	}{
		{"no command", []string{"--listen", "127.0.0.1:0"}, "no worker command"},
		{"nothing after --", []string{"--listen", "127.0.0.1:0", "--"}, "no worker command"},
		{"negative workers", []string{"--listen", "127.0.0.1:0", "--workers", "-1", "--", "true"}, `--workers="-1"`},
		{"bad listen address", []string{"--listen", "nonsense", "--", "true"}, `--listen "nonsense"`},
		{"name ..", []string{"--listen", "127.0.0.1:0", "--name", "..", "--", "true"}, `--name "..": use letters, digits`},
		{"name .", []string{"--listen", "127.0.0.1:0", "--name", ".", "--", "true"}, `--name ".": use letters, digits`},
		{"name -x", []string{"--listen", "127.0.0.1:0", "--name=-x", "--", "true"}, `--name "-x": use letters, digits`},
		{"watchdog below 1ms", []string{"--listen", "127.0.0.1:0", "--worker-watchdog", "500us", "--", "true"}, `--worker-watchdog 500µs: want at least 1ms, or 0 for off`},
		{"workers above max", []string{"--listen", "127.0.0.1:0", "--workers", "100000", "--", "true"}, `--workers=100000 is above --max-workers 64`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			cmd := exec.CommandContext(ctx, pooldBin, tt.give...)
			cmd.Env = protocolFree(cmd.Environ())
			out, err := cmd.CombinedOutput()
			code, err := exitCode(err)
			if err != nil {
				t.Fatalf("poold %q: %v", tt.give, err)
			}
			if code != 2 || !strings.Contains(string(out), tt.want) {
				t.Errorf("poold %q: exit %d, output:\n%s\nwant exit 2 and %q", tt.give, code, out, tt.want)
			}
		})
	}
}

// exitCode returns the exit code of a finished command, or -1 with the
// error when it did not run to an exit.
func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// poold --help prints the usage on stdout, as asked for, and exits 0; a
// mistyped flag is a usage error on stderr, with the flag it was probably
// meant to be.
func TestHelpOnStdoutErrorsOnStderr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		give               []string
		code               int
		stdout, stderr     string
		stdoutEmpty, clean bool
	}{
		{give: []string{"--help"}, code: 0, stdout: "Usage: poold [flags] -- COMMAND [ARGS...]\n", clean: true},
		{give: []string{"-h"}, code: 0, stdout: "Usage: poold [flags] -- COMMAND [ARGS...]\n", clean: true},
		{give: []string{"--wokers", "4", "--", "true"}, code: 2, stdoutEmpty: true,
			stderr: "poold: unknown flag --wokers; did you mean --workers?\npoold: see poold --help\n"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		cmd := exec.CommandContext(ctx, pooldBin, tt.give...)
		cmd.Env = protocolFree(cmd.Environ())
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code, err := exitCode(cmd.Run())
		cancel()
		if err != nil {
			t.Fatalf("poold %q: %v", tt.give, err)
		}
		if code != tt.code || !strings.HasPrefix(stdout.String(), tt.stdout) || tt.stdoutEmpty && stdout.Len() > 0 ||
			tt.stderr != "" && stderr.String() != tt.stderr || tt.clean && stderr.Len() > 0 {
			t.Errorf("poold %q: exit %d, stdout %q, stderr %q; want exit %d, stdout from %q, stderr %q",
				tt.give, code, cut(stdout.String()), stderr.String(), tt.code, tt.stdout, tt.stderr)
		}
	}
}

// cut keeps the first line of s, for messages.
func cut(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
