package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestCutHost(t *testing.T) {
	tests := []struct {
		give    []string
		host    string
		rest    []string
		wantErr bool
	}{
		{give: []string{"list"}, rest: []string{"list"}},
		{give: []string{"-H", "web1", "list"}, host: "web1", rest: []string{"list"}},
		{give: []string{"status", "-H", "admin@web1", "express"}, host: "admin@web1", rest: []string{"status", "express"}},
		{give: []string{"-Hweb1", "list", "--json"}, host: "web1", rest: []string{"list", "--json"}},
		{give: []string{"--host", "web1", "reload", "x"}, host: "web1", rest: []string{"reload", "x"}},
		{give: []string{"--host=web1", "reload", "x"}, host: "web1", rest: []string{"reload", "x"}},
		{give: []string{"scale", "x", "--", "-H", "y"}, rest: []string{"scale", "x", "--", "-H", "y"}},
		{give: []string{"__complete", "-H", "web1", "status", ""}, rest: []string{"__complete", "-H", "web1", "status", ""}},
		{give: []string{"list", "-H"}, wantErr: true},
		{give: []string{"--host=", "list"}, wantErr: true},
		{give: []string{"-H", "--json", "list"}, wantErr: true},
	}
	for _, tt := range tests {
		host, rest, err := cutHost(tt.give)
		if tt.wantErr {
			if err == nil {
				t.Errorf("cutHost(%q) = %q, %q; want an error", tt.give, host, rest)
			}
			continue
		}
		if err != nil || host != tt.host || !reflect.DeepEqual(rest, tt.rest) {
			t.Errorf("cutHost(%q) = %q, %q, %v; want %q, %q", tt.give, host, rest, err, tt.host, tt.rest)
		}
	}
}

// fakeSSH is a script that records its arguments one per line, copies its
// stdin to its stdout, says something on stderr and exits with code.
func fakeSSH(t *testing.T, code string) (path, argvFile string) {
	dir := t.TempDir()
	path = filepath.Join(dir, "ssh")
	argvFile = filepath.Join(dir, "argv")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argvFile + "\ncat\necho remote-stderr >&2\nexit " + code + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, argvFile
}

func TestRemote(t *testing.T) {
	tests := []struct {
		name     string
		ssh      string // POOLCTL_SSH with %s for the script
		args     []string
		wantArgv []string
		code     int
	}{
		{"status", "%s", []string{"-H", "admin@web1", "status", "express", "--json"},
			[]string{"-xT", "admin@web1", "--", "poolctl", "status", "express", "--json"}, 0},
		{"-H after the command", "%s", []string{"reload", "express", "--host=web1"},
			[]string{"-xT", "web1", "--", "poolctl", "reload", "express"}, 0},
		{"exit code", "%s", []string{"-H", "web1", "scale", "express", "abc"},
			[]string{"-xT", "web1", "--", "poolctl", "scale", "express", "abc"}, 2},
		{"ssh failure", "%s", []string{"-H", "web1", "list"},
			[]string{"-xT", "web1", "--", "poolctl", "list"}, 255},
		{"options in POOLCTL_SSH", "%s -p 2222 -o BatchMode=yes", []string{"-H", "web1", "list"},
			[]string{"-p", "2222", "-o", "BatchMode=yes", "-xT", "web1", "--", "poolctl", "list"}, 0},
		{"quoted for the remote shell", "%s", []string{"-H", "web1", "status", "my app", "it's"},
			[]string{"-xT", "web1", "--", "poolctl", "status", "'my app'", `'it'\''s'`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script, argvFile := fakeSSH(t, strconv.Itoa(tt.code))
			var out, errOut bytes.Buffer
			io := stdio{stdin: strings.NewReader("from-stdin\n"), stdout: &out, stderr: &errOut}
			getenv := env("POOLCTL_SSH", strings.Replace(tt.ssh, "%s", script, 1))
			code := run(context.Background(), tt.args, io, getenv)
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			b, err := os.ReadFile(argvFile)
			if err != nil {
				t.Fatal(err)
			}
			if argv := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); !reflect.DeepEqual(argv, tt.wantArgv) {
				t.Errorf("ssh argv %q\n        want %q", argv, tt.wantArgv)
			}
			if out.String() != "from-stdin\n" || errOut.String() != "remote-stderr\n" {
				t.Errorf("stdio not passed through: stdout %q, stderr %q", out.String(), errOut.String())
			}
		})
	}
}

func TestRemoteNoSSH(t *testing.T) {
	var errOut bytes.Buffer
	getenv := env("POOLCTL_SSH", filepath.Join(t.TempDir(), "no-such-ssh"))
	code := run(context.Background(), []string{"-H", "web1", "list"}, stdio{stderr: &errOut}, getenv)
	if code != exitFailure || !strings.HasPrefix(errOut.String(), "poolctl: -H web1: ") {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}

func TestRemoteUsage(t *testing.T) {
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"list", "-H"}, stdio{stderr: &errOut}, env())
	if code != exitUsage || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}
