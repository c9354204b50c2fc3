package main

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/poold/poold/internal/plural"
	"github.com/poold/poold/internal/suggest"
)

const rootLong = `poolctl controls the poold worker pools running on this host: it lists them,
shows their workers (once, or live with top), changes their worker count,
rolls them over to a new generation of workers, signals their workers and
upgrades their poold in place after a package upgrade.
poolctl init writes the configuration of a pool that systemd runs.

poolctl finds pools on the system bus (pools run by systemd), on the session
bus and on the private buses of pools run by hand, and talks to each over
D-Bus. Reading a pool is open to every local user; changing one needs root or
membership in the poold group.

With -H, poolctl runs the same command on another host over SSH, the way
systemctl -H does: "ssh -xT [USER@]HOST -- poolctl ARGS...", or ssh -xt for
top on a terminal. poolctl must be installed on that host. Set POOLCTL_SSH
to use another program than ssh or to give it options (split on spaces,
e.g. "ssh -p 2222").

Exit status: 0 on success, 1 when the command failed, 2 for a usage error;
with -H, the exit status of ssh, which is that of the remote poolctl unless
ssh itself failed (255).

Environment: DBUS_SYSTEM_BUS_ADDRESS and DBUS_SESSION_BUS_ADDRESS replace the
default bus addresses; NO_COLOR turns colours off; POOLCTL_SSH as above.

See also poold(8), systemctl(1).`

func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:               "poolctl",
		Short:             "Control poold worker pools",
		Long:              rootLong,
		Version:           version,
		Args:              noCommand,
		RunE:              func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: a.begin,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,

		SuggestionsMinimumDistance: 2,
	}
	root.SetVersionTemplate("poolctl {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.StringVarP(&a.host, "host", "H", "", "run the command on `[USER@]HOST` over ssh (poolctl must be installed there)")
	pf.BoolVar(&a.verbose, "verbose", false, "say which buses were skipped and why")
	pf.DurationVar(&a.timeout, "timeout", 0, "give up after this long, 0 for never (default: 30s for list, status and each read of top, never for changes)")
	root.AddCommand(a.listCmd(), a.statusCmd(), a.topCmd(), a.scaleCmd(), a.reloadCmd(),
		a.upgradeCmd(), a.restartCmd(), a.signalCmd(), a.broadcastCmd(), a.logsCmd(), a.initCmd(), a.generateCmd())
	root.InitDefaultCompletionCmd()
	if ps, _, err := root.Find([]string{"completion", "powershell"}); err == nil && ps.Name() == "powershell" {
		ps.Hidden = true // poolctl is for Linux
	}
	return root
}

// begin runs once arguments and flags are known to be valid: errors from
// here on are failures, not usage errors.
func (a *app) begin(cmd *cobra.Command, _ []string) error {
	if a.host != "" {
		// run cuts -H out before cobra sees it; only odd spellings get here.
		return usagef("give -H as its own argument: -H HOST or --host=HOST")
	}
	a.timeoutSet = cmd.Flags().Changed("timeout")
	a.started = true
	return nil
}

// noCommand rejects "poolctl bogus" with a suggestion.
func noCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return usagef("unknown command %q; did you mean %q?", args[0], s[0])
	}
	return usagef("unknown command %q", args[0])
}

// negativeArg is how pflag reads a negative number: as a flag.
var negativeArg = regexp.MustCompile(`^unknown shorthand flag: '\d' in (-\d+)$`)

// unknownFlag is pflag's error for a mistyped long flag, also one written
// with one dash (-json).
var unknownFlag = regexp.MustCompile(`^unknown (?:flag: --|shorthand flag: '.' in -)([^-\s=][^\s=]+)`)

func flagError(cmd *cobra.Command, err error) error {
	if m := negativeArg.FindStringSubmatch(err.Error()); m != nil {
		return usagef("%s: counts and slots cannot be negative", m[1])
	}
	if m := unknownFlag.FindStringSubmatch(err.Error()); m != nil {
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		if near, ok := suggest.Closest(m[1], names); ok {
			return usagef("%v; did you mean --%s?", err, near)
		}
	}
	return &usageError{msg: err.Error()}
}

// nameArgs is the usage for commands that take a pool name and fixed more.
func wantArgs(cmd *cobra.Command, args []string, min, max int, what string) error {
	if len(args) < min || len(args) > max {
		return usagef("%s needs %s, got %s", cmd.Name(), what, plural.Of(len(args), "argument"))
	}
	return nil
}

// usagef is a usage error: exit code 2 and a pointer to --help.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
