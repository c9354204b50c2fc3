package main

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// cutHost takes -H HOST, -HHOST, --host HOST or --host=HOST out of args
// (before any "--"), the last one winning. Completion requests are left to
// cobra, which knows the flag: they complete locally.
func cutHost(args []string) (host string, rest []string, err error) {
	if len(args) > 0 && strings.HasPrefix(args[0], "__complete") {
		return "", args, nil
	}
	rest = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		value, found := "", true
		switch {
		case arg == "-H" || arg == "--host":
			if i+1 == len(args) {
				return "", nil, fmt.Errorf("%s needs a host: %s [USER@]HOST", arg, arg)
			}
			i++
			value = args[i]
		case strings.HasPrefix(arg, "--host="):
			value = strings.TrimPrefix(arg, "--host=")
		case strings.HasPrefix(arg, "-H") && !strings.HasPrefix(arg, "--"):
			value = strings.TrimPrefix(arg, "-H")
		default:
			found = false
		}
		if !found {
			rest = append(rest, arg)
			continue
		}
		if value == "" || strings.HasPrefix(value, "-") {
			return "", nil, fmt.Errorf("-H needs a host, not %q", value)
		}
		host = value
	}
	return host, rest, nil
}

// remote runs "ssh -xT HOST -- poolctl ARGS..." (-xt for top on a
// terminal: see sshTerminal) with poolctl's stdin, stdout and stderr, and
// returns its exit code. $POOLCTL_SSH replaces "ssh" and may carry options
// ("ssh -p 2222"); it is split on spaces.
func remote(host string, args []string, io stdio, getenv func(string) string) int {
	ssh := strings.Fields(getenv("POOLCTL_SSH"))
	if len(ssh) == 0 {
		ssh = []string{"ssh"}
	}
	argv := append(slices.Clone(ssh[1:]), sshTerminal(args, io), host, "--", "poolctl")
	for _, a := range args {
		argv = append(argv, shellQuote(a)) // the remote shell splits them again
	}
	cmd := exec.Command(ssh[0], argv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = io.stdin, io.stdout, io.stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	}
	fmt.Fprintf(io.stderr, "poolctl: -H %s: %v\n", host, err)
	return exitFailure
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin is argv as one would type it.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
