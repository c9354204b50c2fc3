package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	script := write("ok.sh", "#!/bin/sh\nexit 0\n", 0o755)
	write("plain", "data", 0o644)
	noInterp := write("lost.sh", "#!/nonexistent/sh\n", 0o755)
	noEnvProg := write("envlost.sh", "#!/usr/bin/env -S poold-no-such-program --flag\n", 0o755)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	sh, err := os.Executable() // an ELF binary whose loader, if any, exists
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give, path string
		want       string // in the error; "" for none
	}{
		{give: script, want: ""},
		{give: "ok.sh", path: dir, want: ""},
		{give: sh, want: ""},
		{give: "poold-no-such-program", path: dir, want: "not found in PATH (" + dir + "): install it"},
		{give: filepath.Join(dir, "missing"), want: "no such file"},
		{give: "./missing", want: "no such file in the working directory"},
		{give: sub, want: "is a directory"},
		{give: "sub", path: dir, want: "is a directory"},
		{give: filepath.Join(dir, "plain"), want: "not executable by"},
		{give: "plain", path: dir, want: "not executable by"},
		{give: noInterp, want: "interpreter /nonexistent/sh (its #! line) is missing"},
		{give: noEnvProg, path: dir, want: "run by poold-no-such-program"},
		{give: "ok.sh", path: ".:" + dir, want: ""},
	}
	for _, tt := range tests {
		err := CheckCommand(tt.give, tt.path)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckCommand(%q, %q) = %v, want nil", tt.give, tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckCommand(%q, %q) = %v, want an error with %q", tt.give, tt.path, err, tt.want)
		}
	}
}

// TestCheckCommandRelativePath: a program found only through "." in PATH
// is refused, as exec.LookPath refuses it in the trampoline.
func TestCheckCommandRelativePath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	err := CheckCommand("run.sh", ".")
	if err == nil || !strings.Contains(err.Error(), "relative directory in PATH") {
		t.Errorf("CheckCommand(run.sh, .) = %v, want the relative PATH refused", err)
	}
}
