package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The man pages and completions in the repository are those the commands
// generate: change a command, then run "make man".
func TestGeneratedFilesUpToDate(t *testing.T) {
	dir := t.TempDir()
	r := poolctl(t, env("SOURCE_DATE_EPOCH", "0"), "__generate", "--man", filepath.Join(dir, "man"),
		"--completions", filepath.Join(dir, "completions"))
	if r.code != 0 {
		t.Fatalf("__generate: code %d, stderr %s", r.code, r.stderr)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "man", "poolctl*.1"))
	committed, _ := filepath.Glob("../../docs/man/poolctl*.1")
	if len(pages) < 7 || len(pages) != len(committed) {
		t.Errorf("generated %d man pages, docs/man has %d: run make man", len(pages), len(committed))
	}
	// The date in .TH is the last commit's: not compared.
	th := regexp.MustCompile(`(?m)^\.TH .*$`)
	for _, p := range pages {
		compare(t, p, filepath.Join("../../docs/man", filepath.Base(p)), func(s string) string { return th.ReplaceAllString(s, ".TH") })
	}
	for _, name := range []string{"poolctl.bash", "_poolctl", "poolctl.fish"} {
		compare(t, filepath.Join(dir, "completions", name), filepath.Join("../../completions", name), nil)
	}
}

func compare(t *testing.T, generated, committed string, normalize func(string) string) {
	t.Helper()
	g, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile(committed)
	if err != nil {
		t.Errorf("%v: run make man", err)
		return
	}
	gs, cs := string(g), string(c)
	if normalize != nil {
		gs, cs = normalize(gs), normalize(cs)
	}
	if gs != cs {
		t.Errorf("%s is not what the commands generate: run make man", committed)
	}
}

func TestManPage(t *testing.T) {
	b, err := os.ReadFile("../../docs/man/poolctl.1")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.Join(strings.Fields(string(b)), " ")
	for _, want := range []string{"poolctl must be installed on that host", "POOLCTL_SSH", "--host", "poolctl-reload(1)"} {
		if !strings.Contains(page, want) {
			t.Errorf("poolctl.1 does not mention %s", want)
		}
	}
}
