package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFileFollowsSystemd(t *testing.T) {
	tests := []struct {
		give string
		want []string
	}{
		{"A=1\nB=2\n", []string{"A=1", "B=2"}},
		{"# comment\n; also\n\n  A = spaced out  \n", []string{"A=spaced out"}},
		{"A='single $HOME \\n'\n", []string{`A=single $HOME \n`}},
		{`A="double \"q\" \\ \$x \n"` + "\n", []string{`A=double "q" \ $x \n`}},
		{"A=one\\\ntwo\n", []string{"A=onetwo"}},
		{"A=\"multi\nline\"\nB=3", []string{"A=multi\nline", "B=3"}},
		{"A=x\\ y\\\\z\n", []string{`A=x y\z`}},
		{"A=\nB=\"\"\n", []string{"A=", "B="}},
		{"A=1\nA=2\n", []string{"A=2"}},
		{"A=1\r\nB=2\r\n", []string{"A=1", "B=2"}},
		{"# a comment \\\ncontinued=not a variable\nA=1", []string{"A=1"}},
		{"A='x'  \"y\" z  \n", []string{"A=xyz"}},
	}
	for _, tt := range tests {
		got, errs := ParseEnvFile("f.env", []byte(tt.give))
		if len(errs) > 0 || !slices.Equal(got, tt.want) {
			t.Errorf("ParseEnvFile(%q) = %q, %v; want %q", tt.give, got, errs, tt.want)
		}
	}
}

func TestParseEnvFileNamesTheBadLines(t *testing.T) {
	give := "A=1\nnot an assignment\nB=2\n1BAD=x\nC-D=y\nE=ok"
	got, errs := ParseEnvFile("/etc/poold/web.env", []byte(give))
	if want := []string{"A=1", "B=2", "E=ok"}; !slices.Equal(got, want) {
		t.Errorf("variables %q, want %q", got, want)
	}
	want := []string{
		`/etc/poold/web.env:2: want KEY=VALUE, found "not an assignment"`,
		`/etc/poold/web.env:4: "1BAD" is not a valid variable name`,
		`/etc/poold/web.env:5: "C-D" is not a valid variable name`,
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d: %q, want %q...", i, errs[i], w)
		}
	}
}

func TestEnvFileFlag(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.env"), filepath.Join(dir, "b.env")
	write(t, first, "SHARED=a\nONLY_A=1\nPOOLD_WORKERS=3\n")
	write(t, second, "SHARED=b\n")
	conf := filepath.Join(dir, "web.conf")
	write(t, conf, "env-file = "+first+"\nenv-file = -"+filepath.Join(dir, "missing.env")+"\ncommand = app\n")
	c, err := Parse([]string{"--config", conf, "--env-file", second}, env("POOLD_WORKERS", "9"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The command line's --env-file wins over the file's, as for every flag.
	if want := []EnvFile{{Path: second}}; !slices.Equal(c.EnvFiles, want) {
		t.Errorf("EnvFiles %v, want %v", c.EnvFiles, want)
	}
	c, err = Parse([]string{"--config", conf}, env("POOLD_WORKERS", "9", "SHARED", "poold"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers.N != 3 {
		t.Errorf("workers %+v, want 3 from the env file, which wins over poold's environment", c.Workers)
	}
	spec := c.WorkerSpec(Process{Environ: []string{"PATH=/bin", "SHARED=poold"}})
	if want := []string{"PATH=/bin", "SHARED=a", "ONLY_A=1", "POOLD_WORKERS=3"}; !slices.Equal(spec.Env, want) {
		t.Errorf("spec env %q, want %q", spec.Env, want)
	}
}

func TestEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.env")
	write(t, bad, "A=1\noops\n")
	tests := []struct {
		give string
		want string
	}{
		{filepath.Join(dir, "missing.env"), "no such file (write -" + dir},
		{"/dev/zero", "/dev/zero is a character device, not a regular file"},
		{"-/dev/zero", "/dev/zero is a character device, not a regular file"},
		{bad, bad + `:2: want KEY=VALUE, found "oops"`},
		{"-", `--env-file "-": want [-]FILE`},
	}
	for _, tt := range tests {
		_, err := Parse([]string{"--env-file", tt.give, "--", "app"}, env(), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--env-file %s: %v, want %q", tt.give, err, tt.want)
		}
	}
}

func TestCheckFileDoesNotReadEnvFiles(t *testing.T) {
	err := CheckFile("web.conf", []byte("env-file = -/etc/poold/web.env\ncommand = app\n"))
	if err != nil {
		t.Errorf("CheckFile = %v", err)
	}
	err = CheckFile("web.conf", []byte("env-file = /nonexistent.env\ncommand = app\n"))
	if !errors.Is(err, fs.ErrNotExist) && (err == nil || !strings.Contains(err.Error(), "no such file")) {
		t.Errorf("CheckFile with a missing env file = %v, want it named", err)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
