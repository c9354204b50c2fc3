package nodejs

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIsNodeCommand(t *testing.T) {
	for _, tt := range []struct {
		give string
		want bool
	}{
		{"node", true},
		{"/usr/bin/node", true},
		{"/usr/bin/nodejs", true},
		{"./node", true},
		{"npm", false},
		{"npx", false},
		{"/usr/local/bin/yarn", false},
		{"pnpm", false},
		{"node20", false},
		{"sh", false},
		{"/srv/node/app", false},
	} {
		if got := IsNodeCommand(tt.give); got != tt.want {
			t.Errorf("IsNodeCommand(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, tt := range []struct {
		give    string
		want    Mode
		wantErr bool
	}{
		{"auto", Auto, false},
		{"off", Off, false},
		{"Off", 0, true},
		{"on", 0, true},
		{"", 0, true},
	} {
		got, err := ParseMode(tt.give)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.give {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.give)
		}
	}
}

func TestWithPreload(t *testing.T) {
	for _, tt := range []struct {
		give []string
		path string
		want string
	}{
		{[]string{"PATH=/bin"}, "/run/p/node-preload.cjs", "NODE_OPTIONS=--require /run/p/node-preload.cjs"},
		{[]string{"NODE_OPTIONS=--max-old-space-size=384"}, "/run/p/x.cjs", "NODE_OPTIONS=--require /run/p/x.cjs --max-old-space-size=384"},
		{[]string{"NODE_OPTIONS= "}, "/p.cjs", "NODE_OPTIONS=--require /p.cjs"},
		{[]string{"NODE_OPTIONS=--require ./tracing.js"}, "/a b/p.cjs", `NODE_OPTIONS=--require "/a b/p.cjs" --require ./tracing.js`},
		{nil, `/a"b\c/p.cjs`, `NODE_OPTIONS=--require "/a\"b\\c/p.cjs"`},
	} {
		got := WithPreload(tt.give, tt.path)
		if i := slices.IndexFunc(got, func(kv string) bool { return strings.HasPrefix(kv, "NODE_OPTIONS=") }); i < 0 || got[i] != tt.want {
			t.Errorf("WithPreload(%q, %q) = %q, want %q", tt.give, tt.path, got, tt.want)
		}
		if n := len(slices.DeleteFunc(slices.Clone(got), func(kv string) bool { return !strings.HasPrefix(kv, "NODE_OPTIONS=") })); n != 1 {
			t.Errorf("WithPreload(%q) has %d NODE_OPTIONS", tt.give, n)
		}
	}
}

func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (apt-get install nodejs): the preload's tests need it")
	}
	return node
}

// Node reads the NODE_OPTIONS that WithPreload writes, and loads the file
// Install wrote, even from a directory with a blank and a quote in its name.
func TestNodeLoadsTheInstalledPreload(t *testing.T) {
	node := needNode(t)
	dir := filepath.Join(t.TempDir(), `run "poold" dir`)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path, err := Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-p", "Object.keys(require.cache).join('\\n')")
	cmd.Env = WithPreload(append(os.Environ(), "NODE_OPTIONS=--no-warnings"), path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	if !slices.Contains(strings.Split(strings.TrimSpace(string(out)), "\n"), path) {
		t.Errorf("node did not load %s; modules loaded:\n%s", path, out)
	}
}

// The preload's own tests (test/*.test.js), with real sockets and processes.
func TestPreloadJS(t *testing.T) {
	node := needNode(t)
	files, err := filepath.Glob(filepath.Join("test", "*.test.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	cmd := exec.Command(node, append([]string{"--test"}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("node --test:\n%s", tail(string(out), 10))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
