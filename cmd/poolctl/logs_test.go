package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/workerlog"
)

func TestUnitOfCgroup(t *testing.T) {
	tests := []struct {
		give     string
		want     string
		wantUser bool
	}{
		{"0::/system.slice/system-poold.slice/poold@web.service\n", "poold@web.service", false},
		{"0::/system.slice/myapp.service/supervisor\n", "myapp.service", false}, // a cgroup of poold's own below its unit
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/myapp.service\n", "myapp.service", true},
		{"0::/user.slice/user-1000.slice/session-3.scope\n", "", false},
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope\n", "", false},
		{"0::/\n", "", false},
		{"12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/myapp.service\n0::/system.slice/myapp.service\n", "myapp.service", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, user := unitOfCgroup(tt.give); got != tt.want || user != tt.wantUser {
			t.Errorf("unitOfCgroup(%q) = %q, %v; want %q, %v", tt.give, got, user, tt.want, tt.wantUser)
		}
	}
}

func TestConfiguredMode(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "web.conf")
	if err := os.WriteFile(conf, []byte("command = node server.js\nworker-logs = prefix\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give []string
		want workerlog.Mode
	}{
		{[]string{"/usr/bin/poold", "--listen", ":3000", "--", "node", "x.js"}, workerlog.Auto},
		{[]string{"poold", "--worker-logs", "inherit", "--", "node"}, workerlog.Inherit},
		{[]string{"poold", "--worker-logs=journal", "--", "node"}, workerlog.Journal},
		{[]string{"/usr/bin/poold", "--config", conf, "--name", "web"}, workerlog.Prefix},
		{[]string{"/usr/bin/poold", "--config", conf, "--worker-logs", "journal"}, workerlog.Journal},
		{[]string{"poold", "--no-such-flag"}, workerlog.Auto},
		{[]string{"poold"}, workerlog.Auto},
		{nil, workerlog.Auto},
	}
	for _, tt := range tests {
		if got := configuredMode(tt.give); got != tt.want {
			t.Errorf("configuredMode(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestLogMatches(t *testing.T) {
	tests := []struct {
		give    pooldOutput
		want    string
		wantErr string
	}{
		{pooldOutput{pid: 9, unit: "poold@web.service", mode: workerlog.Auto, journal: true}, "--unit=poold@web.service POOLD_POOL=web", ""},
		{pooldOutput{pid: 9, unit: "web.service", userUnit: true, mode: workerlog.Auto, journal: true}, "--user-unit=web.service POOLD_POOL=web", ""},
		{pooldOutput{pid: 9, mode: workerlog.Journal, stderr: "the terminal /dev/pts/1"}, "_PID=9 POOLD_POOL=web", ""},
		{pooldOutput{pid: 9, mode: workerlog.Auto, stderr: "the file /var/log/web.log"}, "",
			"pool web does not send its workers' output to the journal: it is on the stderr of poold (PID 9), the file /var/log/web.log, each line after [web SLOT PID]"},
		{pooldOutput{pid: 9, mode: workerlog.Auto}, "", "it is on the stderr of poold (PID 9), each line"},
		{pooldOutput{pid: 9, unit: "poold@web.service", mode: workerlog.Prefix, journal: true}, "",
			"without POOLD_ fields (worker-logs prefix): see journalctl --unit=poold@web.service"},
		{pooldOutput{pid: 9, unit: "poold@web.service", mode: workerlog.Inherit, journal: true}, "",
			"pool web's workers write to the journal themselves, without POOLD_ fields (worker-logs inherit): see journalctl --unit=poold@web.service"},
		{pooldOutput{pid: 9, mode: workerlog.Inherit, stderr: "a pipe, to whatever started poold"}, "",
			"they write to the stderr of poold (PID 9), a pipe, to whatever started poold themselves (worker-logs inherit)"},
	}
	for _, tt := range tests {
		got, err := tt.give.matches("web")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: error %v, want %q", tt.give, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("%+v: %q, %v; want %q", tt.give, got, err, tt.want)
		}
	}
}

func TestUnitLogsToJournal(t *testing.T) {
	tests := []struct {
		give string
		err  error
		want bool
	}{
		{"StandardOutput=journal\nStandardError=inherit\n", nil, true},
		{"StandardOutput=file:/var/log/a\nStandardError=inherit\n", nil, false},
		{"StandardOutput=journal\nStandardError=append:/var/log/err\n", nil, false},
		{"StandardOutput=null\nStandardError=journal+console\n", nil, true},
		{"StandardOutput=kmsg\nStandardError=inherit\n", nil, true},
		{"", os.ErrPermission, true},
	}
	for _, tt := range tests {
		var asked []string
		got := unitLogsToJournal(func(args ...string) (string, error) { asked = args; return tt.give, tt.err }, "web.service")
		if got != tt.want || asked[len(asked)-1] != "web.service" {
			t.Errorf("unitLogsToJournal(%q) = %v, want %v (asked %q)", tt.give, got, tt.want, asked)
		}
	}
}

// fakeProc makes PROC/PID with the files poolctl reads, fd/2 a link to a
// file whose device and inode JOURNAL_STREAM names when journal.
func fakeProc(t *testing.T, pid int, cgroup string, argv []string, journal bool) string {
	t.Helper()
	proc := t.TempDir()
	dir := filepath.Join(proc, fmt.Sprint(pid))
	stream := filepath.Join(proc, "stream")
	for _, d := range []string{dir + "/fd"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(stream, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(stream, dir+"/fd/2"); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(stream, &st); err != nil {
		t.Fatal(err)
	}
	env := "PATH=/usr/bin\x00"
	if journal {
		env += fmt.Sprintf("JOURNAL_STREAM=%d:%d\x00", st.Dev, st.Ino)
	} else {
		env += "JOURNAL_STREAM=1:2\x00" // inherited, not poold's stderr
	}
	for name, data := range map[string]string{"cgroup": cgroup, "cmdline": strings.Join(argv, "\x00") + "\x00", "environ": env} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return proc
}

func TestInspectPoold(t *testing.T) {
	noSystemctl := func(...string) (string, error) { t.Error("systemctl asked"); return "", os.ErrPermission }
	proc := fakeProc(t, 77, "0::/system.slice/poold@web.service\n", []string{"/usr/bin/poold", "--name", "web", "--", "node"}, true)
	o := inspectPoold(proc, 77, noSystemctl)
	if o.unit != "poold@web.service" || o.userUnit || !o.journal || o.mode != workerlog.Auto || !strings.HasPrefix(o.stderr, "the file ") {
		t.Errorf("inspectPoold = %+v", o)
	}
	proc = fakeProc(t, 78, "0::/user.slice/user-0.slice/session-1.scope\n", []string{"poold", "--worker-logs", "prefix", "--", "x"}, false)
	o = inspectPoold(proc, 78, noSystemctl)
	if o.unit != "" || o.journal || o.mode != workerlog.Prefix {
		t.Errorf("inspectPoold = %+v", o)
	}
	// Another user's poold: only its cgroup and command line are readable.
	o = inspectPoold(t.TempDir(), 79, func(...string) (string, error) { return "", os.ErrPermission })
	if o.unit != "" || o.journal || o.mode != workerlog.Auto || o.stderr != "" {
		t.Errorf("inspectPoold of nothing = %+v", o)
	}
}

func TestDescribeTarget(t *testing.T) {
	for give, want := range map[string]string{
		"/dev/pts/4":               "the terminal /dev/pts/4",
		"pipe:[123]":               "a pipe, to whatever started poold",
		"socket:[9]":               "a socket",
		"/var/log/a.log (deleted)": "the file /var/log/a.log",
		"/dev/null":                "/dev/null: discarded",
		"anon_inode:[eventpoll]":   "anon_inode:[eventpoll]",
	} {
		if got := describeTarget(give); got != want {
			t.Errorf("describeTarget(%q) = %q, want %q", give, got, want)
		}
	}
}

// fakeJournalctl puts a journalctl in PATH that prints its arguments, and
// a JSON line for the probe of a pool that is not running when known.
func fakeJournalctl(t *testing.T, known bool) {
	t.Helper()
	dir := t.TempDir()
	line := ":"
	if known {
		line = `echo '{"MESSAGE":"x"}'`
	}
	script := "#!/bin/sh\ncase \"$*\" in *--output=json*) " + line + "; exit 0;; esac\necho \"journalctl $*\"\n"
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

func TestLogsAgainstFakePool(t *testing.T) {
	addr := startBus(t)
	serveFakePool(t, addr, "express", 2) // MainPID 4242
	getenv := env("DBUS_SESSION_BUS_ADDRESS", addr)
	defer func(p string) { procRoot = p }(procRoot)

	t.Run("journal", func(t *testing.T) {
		fakeJournalctl(t, false)
		procRoot = fakeProc(t, 4242, "0::/system.slice/poold@express.service\n", []string{"/usr/bin/poold", "--name", "express"}, true)
		r := poolctl(t, getenv, "logs", "express", "1", "-n", "5", "-f")
		want := "journalctl --unit=poold@express.service POOLD_POOL=express POOLD_SLOT=1 --follow --lines=5\n"
		if r.code != 0 || r.stdout != want || r.stderr != "" {
			t.Errorf("code %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
		}
		r = poolctl(t, getenv, "logs", "express", "--lines", "all", "-f")
		want = "journalctl --unit=poold@express.service POOLD_POOL=express --follow --lines=all\n"
		if r.code != 0 || r.stdout != want {
			t.Errorf("code %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
		}
	})
	t.Run("stderr", func(t *testing.T) {
		fakeJournalctl(t, false)
		procRoot = fakeProc(t, 4242, "0::/user.slice/user-0.slice/session-1.scope\n", []string{"poold", "--", "node"}, false)
		r := poolctl(t, getenv, "logs", "express")
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "poolctl: pool express does not send its workers' output to the journal: it is on the stderr of poold (PID 4242), the file ") {
			t.Errorf("code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("not running", func(t *testing.T) {
		fakeJournalctl(t, true)
		r := poolctl(t, getenv, "logs", "gone", "0")
		if r.code != 0 || r.stdout != "journalctl POOLD_POOL=gone POOLD_SLOT=0\n" || !strings.Contains(r.stderr, `no pool named "gone" is running`) {
			t.Errorf("code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		fakeJournalctl(t, false)
		if r := poolctl(t, getenv, "logs", "gone"); r.code != 1 || !strings.Contains(r.stderr, `no pool named "gone"`) {
			t.Errorf("code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"logs"}, {"logs", "express", "x"}, {"logs", "a", "1", "2"}, {"logs", "express", "-n", "-1"}, {"logs", "express", "-n", "some"}} {
			if r := poolctl(t, getenv, args...); r.code != 2 {
				t.Errorf("poolctl %q: code %d, stderr %q; want a usage error", args, r.code, r.stderr)
			}
		}
	})
}

// Whether the system journal is readable is judged by its files; without
// any (no journald), poolctl leaves it to journalctl.
func TestCanReadSystemJournal(t *testing.T) {
	dir := t.TempDir()
	if readable, known := canReadSystemJournal([]string{dir}); readable || known {
		t.Errorf("no journal files: readable %v, known %v; want neither", readable, known)
	}
	machine := filepath.Join(dir, "0123456789abcdef")
	if err := os.MkdirAll(machine, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(machine, "system.journal"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if readable, known := canReadSystemJournal([]string{"/nonexistent", dir}); !readable || !known {
		t.Errorf("a readable system.journal: readable %v, known %v; want both", readable, known)
	}
	err := &noJournalAccessError{pool: "web", args: shellJoin(logsQuery{name: "web", slot: 2, follow: true}.argv())}
	for _, want := range []string{"pool web's workers write to the system journal", "run sudo poolctl logs web 2 -f,", "sudo usermod -aG systemd-journal "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
