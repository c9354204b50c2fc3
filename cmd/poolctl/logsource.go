package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/workerlog"
)

// procRoot is where poolctl reads about a pool's poold.
var procRoot = "/proc"

// pooldOutput is where a poold sends its workers' output, as far as
// poolctl can tell from outside: its cgroup and command line are open to
// every user; its environment and fds to root and its own user only.
type pooldOutput struct {
	pid      int
	unit     string // the systemd service poold runs in, "" for none
	userUnit bool   // a service of a user's service manager
	mode     workerlog.Mode
	journal  bool   // poold's stderr is the journal
	stderr   string // where poold's stderr goes, for people; "" when unknown
}

// inspectPoold looks at process pid under proc; systemctl runs systemctl
// for what /proc does not show this user.
func inspectPoold(proc string, pid int, systemctl func(args ...string) (string, error)) pooldOutput {
	o := pooldOutput{pid: pid, mode: workerlog.Auto}
	dir := filepath.Join(proc, strconv.Itoa(pid))
	if b, err := os.ReadFile(dir + "/cgroup"); err == nil {
		o.unit, o.userUnit = unitOfCgroup(string(b))
	}
	if b, err := os.ReadFile(dir + "/cmdline"); err == nil {
		o.mode = configuredMode(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"))
	}
	if target, err := os.Readlink(dir + "/fd/2"); err == nil {
		o.stderr = describeTarget(target)
	}
	known, journal := stderrIsJournal(dir)
	switch {
	case known:
		o.journal = journal
	case o.unit != "" && !o.userUnit:
		o.journal = unitLogsToJournal(systemctl, o.unit)
	}
	return o
}

// userManager is the cgroup of a user's service manager.
var userManager = regexp.MustCompile(`^user@\d+\.service$`)

// unitOfCgroup finds the service in /proc/PID/cgroup's path (the unified
// hierarchy's, or systemd's own on cgroup v1): the innermost unit of the
// path, below which poold may have made cgroups of its own (for its
// workers); none when that unit is a scope or a slice (a login session).
func unitOfCgroup(content string) (unit string, user bool) {
	for _, line := range strings.Split(strings.TrimSpace(content), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[0] != "0" && !strings.Contains(parts[1], "name=systemd")) {
			continue
		}
		comps := strings.Split(strings.Trim(parts[2], "/"), "/")
		for i := len(comps) - 1; i >= 0; i-- {
			c := comps[i]
			switch {
			case strings.HasSuffix(c, ".service"):
				for _, above := range comps[:i] {
					user = user || userManager.MatchString(above)
				}
				return c, user
			case strings.HasSuffix(c, ".scope"), strings.HasSuffix(c, ".slice"):
				return "", false
			}
		}
	}
	return "", false
}

// configuredMode is --worker-logs as poold's command line, and the config
// file it names, set it; Auto when that cannot be told.
func configuredMode(argv []string) workerlog.Mode {
	if len(argv) < 2 {
		return workerlog.Auto
	}
	c, _ := config.Parse(argv[1:], func(string) string { return "" }, io.Discard)
	if c.WorkerLogs == 0 {
		return workerlog.Auto
	}
	return c.WorkerLogs
}

// stderrIsJournal checks poold's stderr against its JOURNAL_STREAM, as
// poold itself does; known is false when this user may not look.
func stderrIsJournal(dir string) (known, journal bool) {
	env, err := os.ReadFile(dir + "/environ")
	if err != nil {
		return false, false
	}
	var stream string
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("JOURNAL_STREAM=")); ok {
			stream = string(v)
		}
	}
	if stream == "" {
		return true, false
	}
	var st unix.Stat_t
	if err := unix.Stat(dir+"/fd/2", &st); err != nil {
		return false, false
	}
	return true, stream == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// unitLogsToJournal asks systemd where the service's stderr goes; a
// service's default is the journal.
func unitLogsToJournal(systemctl func(args ...string) (string, error), unit string) bool {
	out, err := systemctl("show", "--property=StandardOutput,StandardError", unit)
	if err != nil {
		return true
	}
	props := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	where := props["StandardError"]
	if where == "inherit" || where == "" {
		where = props["StandardOutput"]
	}
	return where == "" || strings.HasPrefix(where, "journal") || strings.HasPrefix(where, "kmsg")
}

func runSystemctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", args...).Output()
	return string(out), err
}

// describeTarget names an fd's /proc/PID/fd link for people.
func describeTarget(target string) string {
	switch {
	case strings.HasPrefix(target, "/dev/pts/"), strings.HasPrefix(target, "/dev/tty"):
		return "the terminal " + target
	case target == "/dev/null":
		return "/dev/null: discarded"
	case strings.HasPrefix(target, "pipe:"):
		return "a pipe, to whatever started poold"
	case strings.HasPrefix(target, "socket:"):
		return "a socket"
	case strings.HasPrefix(target, "/"):
		return "the file " + strings.TrimSuffix(target, " (deleted)")
	}
	return target
}

// matches are the journalctl matches for the workers' lines of pool name,
// or an error that says where they are when that is not the journal.
func (o pooldOutput) matches(name string) ([]string, error) {
	var unit []string
	switch {
	case o.userUnit:
		unit = []string{"--user-unit=" + o.unit}
	case o.unit != "":
		unit = []string{"--unit=" + o.unit}
	}
	switch o.mode.Resolve(o.journal) {
	case workerlog.Journal:
		if unit == nil {
			unit = []string{"_PID=" + strconv.Itoa(o.pid)} // poold sends them: a poold run by hand
		}
		return append(unit, "POOLD_POOL="+name), nil
	case workerlog.Prefix:
		if o.journal {
			return nil, fmt.Errorf("pool %s sends its workers' output to the journal as plain lines, each after [%s SLOT PID], without POOLD_ fields (worker-logs prefix): see %s",
				name, name, shellJoin(append([]string{"journalctl"}, unit...)))
		}
		return nil, fmt.Errorf("pool %s does not send its workers' output to the journal: it is on the stderr of poold (PID %d)%s, each line after [%s SLOT PID]",
			name, o.pid, o.where(), name)
	}
	if o.journal {
		return nil, fmt.Errorf("pool %s's workers write to the journal themselves, without POOLD_ fields (worker-logs inherit): see %s",
			name, shellJoin(append([]string{"journalctl"}, unit...)))
	}
	return nil, fmt.Errorf("pool %s does not send its workers' output to the journal: they write to the stderr of poold (PID %d)%s themselves (worker-logs inherit)",
		name, o.pid, o.where())
}

func (o pooldOutput) where() string {
	if o.stderr == "" {
		return ""
	}
	return ", " + o.stderr
}
