package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// version runs packaging/version.sh in dir with args.
func version(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(t), "packaging/version.sh"), args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func TestVersionArgument(t *testing.T) {
	for give, want := range map[string]string{
		"1.2.3":                     "1.2.3",
		"v1.2.3":                    "1.2.3",
		"0.1.0~git20261125.3.abc12": "0.1.0~git20261125.3.abc12",
		"2.0.0+git1":                "2.0.0+git1",
		"1.0-1":                     "", // "-" is dpkg's revision, not allowed in an rpm version
		"1:1.0":                     "", // no epochs
		"abc1234":                   "", // git describe without a tag
		"":                          "",
	} {
		got, err := version(t, t.TempDir(), give)
		if want == "" {
			if err == nil {
				t.Errorf("version.sh %q: %q, want an error", give, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("version.sh %q: %q, %v; want %q", give, got, err, want)
		}
	}
}

// The versions of a history, from no tag to a release candidate and a
// release, go up for dpkg and rpm alike.
func TestVersionFromGit(t *testing.T) {
	need(t, "git")
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org",
			"GIT_AUTHOR_DATE=2026-11-25T23:30:00-02:00", "GIT_COMMITTER_DATE=2026-11-25T23:30:00-02:00")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	commit := func() string {
		t.Helper()
		f := filepath.Join(repo, "f")
		old, _ := os.ReadFile(f)
		if err := os.WriteFile(f, append(old, 'x'), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "f")
		git("commit", "-q", "-m", "change")
		return git("rev-parse", "--short=7", "HEAD")
	}
	current := func() string {
		t.Helper()
		v, err := version(t, repo)
		if err != nil {
			t.Fatalf("version.sh: %v", err)
		}
		return v
	}
	git("init", "-q")

	if v, err := version(t, repo); err == nil {
		t.Errorf("version.sh without a commit: %q, want an error", v)
	}
	// The commit date in UTC: 2026-11-26.
	commit()
	h := commit()
	var history []string
	step := func(want string) {
		t.Helper()
		if got := current(); got != want {
			t.Errorf("version.sh: %q, want %q", got, want)
		}
		history = append(history, want)
	}
	step("0.1.0~git20261126.2." + h)
	if err := os.WriteFile(filepath.Join(repo, "f"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("0.1.0~git20261126.2." + h + ".dirty")
	git("checkout", "-q", "f")
	git("tag", "v0.1.0")
	step("0.1.0")
	h = commit()
	step("0.1.0+git20261126.1." + h)
	git("tag", "-a", "-m", "rc", "v0.2.0-rc1")
	step("0.2.0~rc1")
	git("tag", "v0.2.0")
	step("0.2.0")
	git("tag", "not-a-version") // ignored: only vN... tags count
	step("0.2.0")
	h = commit()
	step("0.2.0+git20261126.1." + h)

	for i := 1; i < len(history); i++ {
		a, b := history[i-1], history[i]
		if a == b {
			continue
		}
		if _, err := exec.LookPath("dpkg"); err == nil {
			if err := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run(); err != nil {
				t.Errorf("dpkg: %s is not before %s", a, b)
			}
		}
		if _, err := exec.LookPath("rpm"); err == nil {
			out, err := exec.Command("rpm", "--eval", `%{lua:print(rpm.vercmp("`+a+`", "`+b+`"))}`).Output()
			if err != nil || strings.TrimSpace(string(out)) != "-1" {
				t.Errorf("rpm: %s is not before %s (%q, %v)", a, b, out, err)
			}
		}
	}
}
