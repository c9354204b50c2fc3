package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
)

const initLong = `Write what systemd needs to run pool NAME, the way "pm2 startup" does for
pm2: the pool's config file (COMMAND and poold's flags) and its units, named
after it, made from the packages' poold@.socket and poold@.service with the
socket's addresses and, with --user or --chdir, the service's user and
working directory:

    /etc/poold/NAME.conf
    /etc/systemd/system/NAME.socket
    /etc/systemd/system/NAME.service

then print the command that runs the pool: the socket listens at once and
its first connection starts the pool, which also starts at every boot:

    systemctl daemon-reload && systemctl enable --now NAME.socket

After that, "systemctl reload NAME", "journalctl -u NAME" and "poolctl
status NAME" work with the pool's name.

ADDR is poold's --listen form: HOST:PORT, [IPV6]:PORT, :PORT (every
address), unix:/PATH or unix:@NAME; repeat --listen for more sockets. A
NAME= before ADDR sets the sockets' name in the workers' LISTEN_FDNAMES (one
name for all of them). COMMAND runs in / unless --chdir says otherwise; a
COMMAND found in poolctl's PATH (below --root, with --root) is written with
its absolute path, since systemd's PATH may not have it. poolctl's own flags
go before --: a COMMAND starting with - is refused.

Without --user, poold and its workers run as root (workers may drop
privileges themselves). --user runs them as that user, in the poold group so
that poolctl can control the pool; it needs --distribution shared, since
the kernel groups the per-slot sockets of balanced and sticky only with the
socket systemd created as root.

poolctl init refuses to replace any of these files, and then writes none,
unless --force is given. It refuses, even with --force, a NAME whose units
the system has already (/usr/lib/systemd/system/NAME.service, such as ssh
or nginx), or whose /etc/systemd/system/NAME.service runs no poold. With
--force it also removes the drop-ins of poold@NAME.socket and
poold@NAME.service that poolctl init wrote before it named units after the
pool, so that the pool cannot run under both names. --root writes below
another directory than /, for images and tests.`

// initOptions are poolctl init's flags.
type initOptions struct {
	listen       []string
	user         string
	workers      string
	distribution string
	chdir        string
	root         string
	force        bool
	path         string // poolctl's PATH, where COMMAND is looked for below root
}

func (a *app) initCmd() *cobra.Command {
	o := initOptions{root: "/", workers: "auto", distribution: distribute.Shared.String(), path: a.getenv("PATH")}
	var spec initSpec
	cmd := &cobra.Command{
		Use:   "init NAME --listen ADDR [flags] -- COMMAND [ARGS...]",
		Short: "Write the configuration of a pool that systemd runs",
		Long:  initLong,
		Example: "  poolctl init myapp --listen 127.0.0.1:3000 -- /usr/bin/node /srv/myapp/server.js\n" +
			"  poolctl init shop --listen :8080 --user shop --workers 4 --chdir /srv/shop -- bin/server\n" +
			"  poolctl init api --listen :443 --distribution sticky -- /usr/bin/python3 -m api",
		Args: func(cmd *cobra.Command, args []string) (err error) {
			spec, err = o.spec(args, cmd.ArgsLenAtDash())
			return err
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.writeInit(spec, o.root, o.force)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.listen, "listen", nil, "listen on `[NAME=]ADDR`: HOST:PORT, [IPV6]:PORT, :PORT, unix:/PATH (repeatable; at least one)")
	f.StringVar(&o.user, "user", "", "run poold and the workers as `USER` (needs --distribution shared)")
	f.StringVar(&o.workers, "workers", o.workers, "worker count `N`, or auto to size the pool from its cgroup")
	f.StringVar(&o.distribution, "distribution", o.distribution, "how connections reach the workers: shared, balanced or sticky")
	f.StringVar(&o.chdir, "chdir", "", "working directory `DIR` of the workers (default /)")
	f.StringVar(&o.root, "root", o.root, "write below `DIR` instead of /")
	f.BoolVar(&o.force, "force", false, "replace the files of an earlier init")
	return cmd
}

// spec validates the arguments: usage errors, all before anything is written.
func (o initOptions) spec(args []string, dash int) (initSpec, error) {
	if dash != 1 {
		return initSpec{}, usagef("init needs a pool name, then the worker command after --: poolctl init NAME --listen ADDR -- COMMAND [ARGS...]")
	}
	s := initSpec{name: args[0], command: args[1:], user: o.user, workers: o.workers}
	if !config.ValidName(s.name) {
		return initSpec{}, usagef("pool name %q: %s", s.name, config.NameRule)
	}
	if len(s.command) == 0 {
		return initSpec{}, usagef("no worker command after --: poolctl init %s --listen ADDR -- COMMAND [ARGS...]", s.name)
	}
	if strings.HasPrefix(s.command[0], "-") {
		return initSpec{}, usagef("worker command %q starts with '-': poolctl's flags go before --, the worker command after it", s.command[0])
	}
	// systemd's PATH is not the caller's (nvm, /usr/local/bin...).
	s.command[0] = commandPath(o.root, s.command[0], o.path)
	var err error
	if s.streams, s.fdName, err = o.sockets(); err != nil {
		return initSpec{}, err
	}
	if s.distribution, err = distribute.ParseMode(o.distribution); err != nil {
		return initSpec{}, usagef("--distribution: %v", err)
	}
	if err := o.checkUser(s.distribution); err != nil {
		return initSpec{}, err
	}
	if err := checkWorkers(o.workers); err != nil {
		return initSpec{}, err
	}
	if o.chdir != "" {
		if !filepath.IsAbs(o.chdir) || hasControl(o.chdir) {
			return initSpec{}, usagef("--chdir %q: want an absolute path", o.chdir)
		}
		s.chdir = filepath.Clean(o.chdir)
	}
	for _, w := range s.command {
		if hasControl(w) {
			return initSpec{}, usagef("worker command argument %q: line breaks and control characters cannot go in the config file", w)
		}
	}
	// poold reads what is written: an error here is poolctl's.
	if err := config.CheckFile(s.name+".conf", []byte(s.configFile())); err != nil {
		return initSpec{}, fmt.Errorf("the config file poolctl init made is not valid: %w", err)
	}
	return s, nil
}

// sockets turns the --listen values into ListenStream= values and one
// optional FileDescriptorName=.
func (o initOptions) sockets() (streams []string, fdName string, err error) {
	if len(o.listen) == 0 {
		return nil, "", usagef("init needs --listen ADDR: where the pool's socket listens, e.g. --listen 127.0.0.1:3000")
	}
	names := map[string]bool{}
	for _, l := range o.listen {
		spec, err := activation.ParseListen(l)
		if err != nil {
			return nil, "", usagef("%v", err)
		}
		if hasControl(l) {
			return nil, "", usagef("--listen %q: control characters cannot go in a unit file", l)
		}
		stream, err := listenStream(spec)
		if err != nil {
			return nil, "", usagef("%v", err)
		}
		streams = append(streams, stream)
		if named := spec.Name != activation.DefaultName || strings.HasPrefix(l, activation.DefaultName+"="); named {
			fdName = spec.Name
		}
		names[spec.Name] = true
	}
	if fdName != "" && len(names) > 1 {
		return nil, "", usagef("--listen: the sockets of one socket unit share one name (FileDescriptorName=); give them all the same NAME=, or write units of your own (docs/systemd.md)")
	}
	return streams, fdName, nil
}

func (o initOptions) checkUser(mode distribute.Mode) error {
	switch {
	case o.user == "":
		return nil
	case !userName.MatchString(o.user):
		return usagef("--user %q: want a user name or a UID", o.user)
	case mode != distribute.Shared:
		return usagef("--user %s with --distribution %s: poold must run as root, the user systemd creates the socket as, "+
			"because the kernel adds poold's per-slot sockets to the socket's SO_REUSEPORT group only for the same user; "+
			"use --distribution shared with --user, or leave --user out and have the workers drop privileges themselves", o.user, mode)
	}
	return nil
}

func checkWorkers(v string) error {
	wc, err := config.ParseWorkerCount(v, func(string) string { return "" })
	switch {
	case v == "":
		return usagef("--workers: want a whole number of workers (1 or more) or auto")
	case err != nil:
		return usagef("%v", err)
	case !wc.Auto && wc.N > config.DefaultMaxWorkers:
		return usagef("--workers %d is above poold's --max-workers %d", wc.N, config.DefaultMaxWorkers)
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}

// writeInit writes the files of spec below root: every one or, when one
// exists and force is off, none.
func (a *app) writeInit(spec initSpec, root string, force bool) error {
	if err := checkUnitNames(root, spec.name); err != nil {
		return err
	}
	files := spec.files()
	if !force {
		for _, f := range files {
			path := filepath.Join(root, f.path)
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%s exists; add --force to replace the configuration of pool %s (nothing was written)", path, spec.name)
			}
		}
	}
	migrated := false
	for _, f := range files {
		path := filepath.Join(root, f.path)
		if f.content == "" {
			removed, err := removeOwned(path)
			if err != nil {
				return rootHint(err)
			}
			if removed {
				fmt.Fprintf(a.stdout, "removed %s\n", path)
				migrated = migrated || f.path == spec.templateListenDropIn()
			}
			continue
		}
		if err := writeFile(path, f.content); err != nil {
			return rootHint(err)
		}
		fmt.Fprintf(a.stdout, "wrote %s\n", path)
	}
	if root == "/" {
		a.warnMissingAccounts(spec.user)
	}
	a.printNext(spec.name, force, migrated)
	return nil
}

// printNext says which commands run the pool now.
func (a *app) printNext(name string, force, migrated bool) {
	if migrated {
		fmt.Fprintf(a.stdout, "first: systemctl disable --now poold@%[1]s.socket poold@%[1]s.service  (the pool's former units)\n", name)
	}
	fmt.Fprintf(a.stdout, "next: systemctl daemon-reload && systemctl enable --now %s.socket\n", name)
	if force && !migrated {
		fmt.Fprintf(a.stdout, "      (if the pool runs already: systemctl daemon-reload && systemctl restart %s.socket)\n", name)
	}
}

// removeOwned removes a file of an earlier init and then its directory, a
// drop-in directory, if that is left empty.
func removeOwned(path string) (removed bool, err error) {
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	os.Remove(filepath.Dir(path)) // fails, as it should, unless empty
	return true, nil
}

// vendorUnitDirs are where packages install units, below the root.
var vendorUnitDirs = []string{"usr/lib/systemd/system", "lib/systemd/system"}

// checkUnitNames refuses a pool name that is a unit of the system's (ssh,
// nginx), which the pool's units in /etc would replace, or of the admin's:
// a NAME.service in /etc that runs no poold, which --force must not replace
// either.
func checkUnitNames(root, name string) error {
	for _, dir := range vendorUnitDirs {
		for _, unit := range []string{name + ".service", name + ".socket"} {
			path := filepath.Join(root, dir, unit)
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("the system has a unit %s already (%s), which the units of pool %s would replace: give the pool another name (nothing was written)",
					unit, path, name)
			}
		}
	}
	path := filepath.Join(root, unitDir, name+".service")
	if b, err := os.ReadFile(path); err == nil && !runsPoold.Match(b) {
		return fmt.Errorf("%s runs no poold: it is not a pool's, and poolctl init does not replace it; give the pool another name (nothing was written)", path)
	}
	return nil
}

// runsPoold finds the ExecStart= of a pool's service.
var runsPoold = regexp.MustCompile(`(?m)^ExecStart=\S*\bpoold(\s|$)`)

// writeFile replaces path with content at once (a rename), creating its
// directory.
func writeFile(path, content string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: gone already
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func rootHint(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w (run poolctl init as root)", err)
	}
	return err
}

// warnMissingAccounts says when the unit would fail to start for want of
// the user or the poold group (the packages create the group).
func (a *app) warnMissingAccounts(name string) {
	if name == "" {
		return
	}
	if _, err := user.LookupGroup("poold"); err != nil {
		a.warnf("warning: group poold does not exist, and the pool cannot start without it: install poold's package, or run groupadd --system poold")
	}
	if _, err := user.Lookup(name); err != nil {
		if _, err := user.LookupId(name); err != nil {
			a.warnf("warning: user %s does not exist; create it before starting the pool", name)
		}
	}
}
