package nodejs

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poold/poold/node"
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

func TestWrapper(t *testing.T) {
	for _, tt := range []struct{ give, want string }{
		{"npm", "npm"}, {"/usr/bin/npx", "npx"}, {"/usr/local/bin/yarn", "yarn"}, {"pnpm", "pnpm"}, {"corepack", "corepack"},
		{"node", ""}, {"sh", ""}, {"npm-run-all", ""}, {"/srv/npm/app", ""},
	} {
		if got := Wrapper(tt.give); got != tt.want {
			t.Errorf("Wrapper(%q) = %q, want %q", tt.give, got, tt.want)
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
		give       []string
		path       string
		want       string
		wantModule string
	}{
		{[]string{"PATH=/bin"}, "/run/p/node_modules/poold/preload.js", "NODE_OPTIONS=--require /run/p/node_modules/poold/preload.js", "NODE_PATH=/run/p/node_modules"},
		{[]string{"NODE_OPTIONS=--max-old-space-size=384", "NODE_PATH=/srv/lib"}, "/r/m/p/x.js", "NODE_OPTIONS=--require /r/m/p/x.js --max-old-space-size=384", "NODE_PATH=/r/m:/srv/lib"},
		{[]string{"NODE_OPTIONS= ", "NODE_PATH="}, "/m/p/p.js", "NODE_OPTIONS=--require /m/p/p.js", "NODE_PATH=/m"},
		{[]string{"NODE_PATH=/a:/b", "NODE_OPTIONS=--require ./tracing.js"}, "/a b/m/p/p.js", `NODE_OPTIONS=--require "/a b/m/p/p.js" --require ./tracing.js`, "NODE_PATH=/a b/m:/a:/b"},
		{nil, `/a"b\c/m/p/p.js`, `NODE_OPTIONS=--require "/a\"b\\c/m/p/p.js"`, `NODE_PATH=/a"b\c/m`},
	} {
		give := slices.Clone(tt.give)
		got := WithPreload(tt.give, tt.path)
		if !slices.Equal(tt.give, give) {
			t.Errorf("WithPreload changed its argument: %q, was %q", tt.give, give)
		}
		for _, want := range []string{tt.want, tt.wantModule} {
			key, _, _ := strings.Cut(want, "=")
			vars := slices.DeleteFunc(slices.Clone(got), func(kv string) bool { return !strings.HasPrefix(kv, key+"=") })
			if len(vars) != 1 || vars[0] != want {
				t.Errorf("WithPreload(%q, %q) = %q, want one %q", tt.give, tt.path, got, want)
			}
		}
	}
}

func TestInstall(t *testing.T) {
	for _, drain := range []bool{true, false} {
		dir := t.TempDir()
		path, err := Install(dir, Options{Drain: drain})
		if err != nil {
			t.Fatal(err)
		}
		pkg := filepath.Join(dir, "node_modules", "poold")
		if want := filepath.Join(pkg, "preload.js"); path != want {
			t.Errorf("Install(%s) = %s, want %s", dir, path, want)
		}
		for _, f := range []string{"package.json", "index.js", "preload.js"} {
			got, err := os.ReadFile(filepath.Join(pkg, f))
			if err != nil {
				t.Fatal(err)
			}
			want, err := fs.ReadFile(node.Files, f)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: not the embedded file (%v)", f, err)
			}
		}
		opts, err := os.ReadFile(filepath.Join(pkg, "options.json"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("{\"drain\":%v}\n", drain); string(opts) != want {
			t.Errorf("options.json = %q, want %q", opts, want)
		}
		entries, _ := os.ReadDir(pkg)
		if len(entries) != 4 {
			t.Errorf("%s holds %d files, want 4", pkg, len(entries))
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

// Node reads the NODE_OPTIONS and NODE_PATH that WithPreload writes: it
// loads the preload Install wrote, and require('poold') finds the module
// beside it, even from a directory with a blank and a quote in its name.
func TestNodeLoadsTheInstalledPackage(t *testing.T) {
	node := needNode(t)
	dir := filepath.Join(t.TempDir(), `run "poold" dir`)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path, err := Install(dir, Options{Drain: true})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-p", `[require.resolve('poold'), require('poold').active, ...Object.keys(require.cache)].join('\n')`)
	cmd.Dir = t.TempDir() // no node_modules above it
	cmd.Env = WithPreload(append(os.Environ(), "NODE_OPTIONS=--no-warnings", "NODE_PATH="), path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	index := filepath.Join(filepath.Dir(path), "index.js")
	if len(lines) < 2 || lines[0] != index || lines[1] != "false" {
		t.Errorf("require('poold') in node: %q; want it resolved to %s, inactive", out, index)
	}
	if !slices.Contains(lines, path) {
		t.Errorf("node did not load %s; modules loaded:\n%s", path, out)
	}
}

// The package's own tests (node/test/*.test.js), with real sockets and
// processes.
func TestPackageJS(t *testing.T) {
	node := needNode(t)
	dir := filepath.Join("..", "..", "node")
	files, err := filepath.Glob(filepath.Join(dir, "test", "*.test.js"))
	if err != nil || len(files) < 2 {
		t.Fatalf("test files: %q, %v", files, err)
	}
	cmd := exec.Command(node, "--test", "test/")
	cmd.Dir = dir
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
