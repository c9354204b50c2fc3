package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/rundir"
)

// Exit codes: 0 on success, 1 when the command failed, 2 for a usage error.
// With -H, the exit code of ssh (and so of the remote poolctl).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// readTimeout bounds list and status unless --timeout says otherwise;
// commands that change a pool wait as long as the pool takes.
const readTimeout = 30 * time.Second

type stdio struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// app is one run of poolctl: its input and output, its environment and the
// global flags.
type app struct {
	stdio
	getenv func(string) string
	now    func() time.Time
	dial   func(context.Context, dbusapi.Address) (*dbusapi.Bus, error)
	// privateBases is where private buses are searched, for messages.
	privateBases func() []string

	host       string // -H; set here only when run could not cut it out first
	verbose    bool
	timeout    time.Duration
	timeoutSet bool
	started    bool // arguments and flags were valid and a command began
}

// run is poolctl with its arguments (without the program name) and returns
// the exit code. -H hands the whole command to ssh.
func run(ctx context.Context, args []string, io stdio, getenv func(string) string) int {
	host, rest, err := cutHost(args)
	if err != nil {
		fmt.Fprintf(io.stderr, "poolctl: %v (see 'poolctl --help')\n", err)
		return exitUsage
	}
	if host != "" {
		return remote(host, rest, io, getenv)
	}
	a := &app{stdio: io, getenv: getenv, now: time.Now, dial: dbusapi.Dial,
		privateBases: func() []string { return rundir.SearchBases(getenv, os.Geteuid()) }}
	return a.execute(ctx, args)
}

func (a *app) execute(ctx context.Context, args []string) int {
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root := a.newRoot()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		return a.report(cmd, err)
	}
	return exitOK
}

// withTimeout is ctx bounded by --timeout, or by def when the flag is not
// given; zero means no bound.
func (a *app) withTimeout(ctx context.Context, def time.Duration) (context.Context, context.CancelFunc) {
	d := def
	if a.timeoutSet {
		d = a.timeout
	}
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// verbosef prints a note on stderr with --verbose.
func (a *app) verbosef(format string, args ...any) {
	if a.verbose {
		fmt.Fprintf(a.stderr, "poolctl: "+format+"\n", args...)
	}
}

// warnf prints a warning that does not stop the command.
func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "poolctl: "+format+"\n", args...)
}

// color says whether stdout is a terminal that wants colours.
func (a *app) color() bool {
	f, ok := a.stdout.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	return a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
}

// jsonFlag adds --json to cmd.
func jsonFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVar(v, "json", false, "print JSON instead of a table, with stable snake_case keys")
}
