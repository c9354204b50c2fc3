package config

import (
	"cmp"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/mode"
)

const myappConf = `# poold configuration of myapp
command = node /srv/myapp/server.js --port-from-fd

workers = auto
distribution = shared
	stop-timeout = 30s   # SIGTERM to SIGKILL
`

// parseWith runs parse with a config file that holds data.
func parseWith(t *testing.T, data string, args ...string) (Config, error) {
	t.Helper()
	return parse(args, env(), io.Discard, func(name string) ([]byte, error) {
		if name != "/etc/poold/myapp.conf" {
			t.Fatalf("read %q", name)
		}
		return []byte(data), nil
	})
}

func TestConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "myapp.conf")
	if err := os.WriteFile(path, []byte(myappConf), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]string{"--config", path, "--name", "myapp"}, env("POOLD_WORKERS", "7"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"node", "/srv/myapp/server.js", "--port-from-fd"}; !reflect.DeepEqual(c.Command, want) {
		t.Errorf("command = %q, want %q", c.Command, want)
	}
	if !c.Workers.Auto || c.Workers.From != path { // the file is --workers: POOLD_WORKERS loses
		t.Errorf("workers = %+v", c.Workers)
	}
	if c.Distribution != mode.Shared || c.StopTimeout != 30*time.Second || c.Name != "myapp" {
		t.Errorf("distribution %v, stop-timeout %v, name %q", c.Distribution, c.StopTimeout, c.Name)
	}
}

func TestConfigFileWorkersSayWhereTheyCameFrom(t *testing.T) {
	c, err := parseWith(t, "command = x\nworkers = 3\n", "--config", "/etc/poold/myapp.conf")
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers.N != 3 || c.Workers.From != "/etc/poold/myapp.conf" {
		t.Errorf("workers = %+v", c.Workers)
	}
}

func TestCommandLineWinsOverConfigFile(t *testing.T) {
	file := myappConf + "listen = 127.0.0.1:1\nlisten = 127.0.0.1:2\nready = bogus\n"
	c, err := parseWith(t, file, "--config", "/etc/poold/myapp.conf", "--workers", "2", "--ready", "notify",
		"--listen", ":3000", "--", "python3", "app.py")
	if err != nil {
		t.Fatal(err) // the file's bad ready is not read
	}
	if c.Workers.N != 2 || strings.Join(c.Command, " ") != "python3 app.py" || len(c.Listen) != 1 || c.Listen[0].Address != ":3000" {
		t.Errorf("workers %+v, command %q, listen %+v", c.Workers, c.Command, c.Listen)
	}
	c, err = parseWith(t, file[:len(file)-len("ready = bogus\n")], "--config", "/etc/poold/myapp.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Listen) != 2 || c.Listen[1].Address != "127.0.0.1:2" {
		t.Errorf("listen from the file = %+v, want both", c.Listen)
	}
}

// Every problem of the file names its line, and they are reported together
// with those of the command line.
func TestConfigFileErrors(t *testing.T) {
	file := strings.Join([]string{
		"# comment",
		"command = node 'server.js",      // 2
		"wokers = 4",                     // 3
		"--workers = 4",                  // 4
		"stop-timeout = soon",            // 5
		"ready-timeout = 0s",             // 6
		"distribution = round-robin",     // 7
		"listen = nonsense",              // 8
		"max-workers = 4",                // 9
		"max-workers = 5",                // 10
		"name = two words",               // 11
		"log-level =",                    // 12
		"version = true",                 // 13
		"just words",                     // 14
		"workers = 8",                    // 15
		"config = /etc/poold/other.conf", // 16
		"frobnicate = 1",                 // 17
	}, "\n")
	_, err := parseWith(t, file, "--config", "/etc/poold/myapp.conf", "--ready", "tcp")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`/etc/poold/myapp.conf:2: command: unterminated quote: no closing '`,
		`/etc/poold/myapp.conf:3: unknown key "wokers": did you mean workers?`,
		`/etc/poold/myapp.conf:4: unknown key "--workers": write workers, without dashes`,
		`/etc/poold/myapp.conf:5: invalid value "soon" for stop-timeout`,
		`/etc/poold/myapp.conf:6: --ready-timeout 0s: want a positive duration`,
		`/etc/poold/myapp.conf:7: --distribution: distribution "round-robin"`,
		`/etc/poold/myapp.conf:8: --listen "nonsense"`,
		`/etc/poold/myapp.conf:10: max-workers is already set on line 9`,
		`/etc/poold/myapp.conf:11: name takes one value, found 2 words`,
		`/etc/poold/myapp.conf:12: log-level: no value`,
		`/etc/poold/myapp.conf:13: version cannot be set in a config file`,
		`/etc/poold/myapp.conf:14: want KEY = VALUE, found "just words"`,
		`/etc/poold/myapp.conf:15: --workers=8 is above --max-workers 4`,
		`/etc/poold/myapp.conf:16: config cannot be set in a config file`,
		`/etc/poold/myapp.conf:17: unknown key "frobnicate": keys are poold's long flag names`,
		`--ready: ready mode "tcp"`,
		`no worker command: put it after -- or in /etc/poold/myapp.conf as command = COMMAND`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), ":1:") || strings.Contains(err.Error(), "myapp.conf: --ready") {
		t.Errorf("a problem names the wrong line:\n%v", err)
	}
	if strings.Contains(err.Error(), "--stop-timeout 0s") {
		t.Errorf("a bad duration is also reported as the 0s the file never held:\n%v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if !strings.HasPrefix(lines[0], "--ready") || !slices.IsSortedFunc(lines[2:], func(a, b string) int {
		return cmp.Compare(lineNumber(t, a), lineNumber(t, b))
	}) {
		t.Errorf("want the command line's errors first, then the file's by line:\n%v", err)
	}
}

// lineNumber is N of an error "FILE:N: ...".
func lineNumber(t *testing.T, err string) int {
	t.Helper()
	_, rest, _ := strings.Cut(err, ".conf:")
	n, _, _ := strings.Cut(rest, ":")
	i, convErr := strconv.Atoi(n)
	if convErr != nil {
		t.Fatalf("no line in %q", err)
	}
	return i
}

// A config file that cannot be read is the one error: the worker command
// it may have held is not reported missing too.
func TestConfigFileUnreadable(t *testing.T) {
	for _, path := range []string{"/dev/zero", "/nonexistent/poold.conf"} {
		_, err := Parse([]string{"--config", path, "--listen", ":0"}, env(), io.Discard)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "--config: ") {
			t.Errorf("%s: %v, want the one error of --config", path, err)
		}
	}
}

func TestConfigFileMissing(t *testing.T) {
	_, err := Parse([]string{"--config", "/nonexistent/poold.conf", "--", "x"}, env(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--config: open /nonexistent/poold.conf: no such file or directory") {
		t.Fatalf("error = %v", err)
	}
	// --version does not read it.
	if c, err := Parse([]string{"--config", "/nonexistent/poold.conf", "--version"}, env(), io.Discard); err != nil || !c.Version {
		t.Fatalf("--version: %v", err)
	}
}

func TestCheckFile(t *testing.T) {
	if err := CheckFile("a.conf", []byte(myappConf)); err != nil {
		t.Errorf("CheckFile(myapp.conf) = %v", err)
	}
	err := CheckFile("a.conf", []byte("command = x\nworkers = lots\n"))
	if err == nil || !strings.Contains(err.Error(), `a.conf:2: --workers="lots"`) {
		t.Errorf("CheckFile = %v", err)
	}
}

// A value a flag cannot read is one error: the flag keeps its default
// rather than the 0 the flag package leaves, which would be another.
func TestConfigFileBadValueIsOneError(t *testing.T) {
	for _, line := range []string{"max-workers = lots", "stop-timeout = soon", "min-ready = -x"} {
		err := CheckFile("a.conf", []byte("command = x\n"+line+"\n"))
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "a.conf:2: invalid value") {
			t.Errorf("%s: %v, want one error on line 2", line, err)
		}
	}
}
