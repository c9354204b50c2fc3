package nodejs

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/poold/poold/internal/mode"
	"github.com/poold/poold/node"
)

// PackageDir is where Install writes the npm package "poold" (node/ in the
// repository), under poold's runtime directory: in a node_modules directory,
// so that require('poold') finds it through NODE_PATH. Its package.json
// says commonjs, so Node loads it as CommonJS whatever is above it.
const PackageDir = "node_modules/poold"

// PreloadFile is the preload's name in PackageDir.
const PreloadFile = "preload.js"

// OptionsFile is the name, in PackageDir, of the options the preload reads
// (poold does not pass its own POOLD_* variables on to workers).
const OptionsFile = "options.json"

// Options are what the preload does besides redirecting listen().
type Options struct {
	// Drain: on SIGTERM, the preload drains the servers on pool sockets
	// (--node-drain on); without it, SIGTERM is Node's or the app's.
	Drain bool `json:"drain"`
	// Wrapper is the package manager that is the worker command (see
	// Wrapper), or "": the preload then serves no listen() but fails
	// those it would have served, saying to run node itself.
	Wrapper string `json:"wrapper,omitempty"`
}

// Mode is --node-preload (mode.NodePreload).
type Mode = mode.NodePreload

const (
	// Auto puts the preload in front of node commands.
	Auto = mode.NodePreloadAuto
	// Off leaves every command's NODE_OPTIONS alone.
	Off = mode.NodePreloadOff
)

// ParseMode parses a --node-preload value.
func ParseMode(s string) (Mode, error) { return mode.ParseNodePreload(s) }

// IsNodeCommand tells whether command (a worker command's executable, a
// path or a name looked up in PATH) is node itself. Package managers (npm,
// npx, yarn, pnpm) are not: see Wrapper.
func IsNodeCommand(command string) bool {
	base := filepath.Base(command)
	return base == "node" || base == "nodejs"
}

// wrappers are the package managers that start a worker's node as their
// child.
var wrappers = []string{"npm", "npx", "yarn", "yarnpkg", "pnpm", "pnpx", "corepack"}

// Wrapper is the package manager command names (npm, npx, yarn, pnpm), or
// "". The scripts it starts do not inherit fds 3.. (npm spawns them
// through libuv, which passes on only stdin, stdout and stderr) and their
// LISTEN_PID is not theirs, so their node cannot serve the pool's
// sockets: the preload goes in front of it only to say so (Options.Wrapper).
func Wrapper(command string) string {
	if base := filepath.Base(command); slices.Contains(wrappers, base) {
		return base
	}
	return ""
}

// Install writes the package "poold" (package.json, index.js, preload.js)
// and opts, as options.json, into dir/PackageDir, dir being poold's runtime
// directory, and returns the preload's path.
func Install(dir string, opts Options) (string, error) {
	pkg := filepath.Join(dir, filepath.FromSlash(PackageDir))
	if err := install(pkg, opts); err != nil {
		return "", fmt.Errorf("node package: %w", err)
	}
	return filepath.Join(pkg, PreloadFile), nil
}

func install(pkg string, opts Options) error {
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return err
	}
	files, err := fs.ReadDir(node.Files, ".")
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := fs.ReadFile(node.Files, f.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(pkg, f.Name()), data, 0o644); err != nil {
			return err
		}
	}
	data, err := json.Marshal(opts)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(pkg, OptionsFile), append(data, '\n'), 0o644)
}

// WithPreload returns env with "--require PRELOAD" in front of its
// NODE_OPTIONS, and the node_modules directory that holds the package (two
// levels above preload, the path Install returned) in front of NODE_PATH,
// so that require('poold') finds it. It adds either variable if missing.
func WithPreload(env []string, preload string) []string {
	out := slices.Clone(env)
	out = prepend(out, "NODE_OPTIONS", "--require "+quote(preload), " ")
	return prepend(out, "NODE_PATH", filepath.Dir(filepath.Dir(preload)), string(os.PathListSeparator))
}

// prepend puts value in front of env's variable key, separated from what
// it held by sep, or sets it to value when missing or blank.
func prepend(env []string, key, value, sep string) []string {
	for i, kv := range env {
		if old, ok := strings.CutPrefix(kv, key+"="); ok {
			if strings.TrimSpace(old) != "" {
				value += sep + old
			}
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

// quote writes path as Node splits NODE_OPTIONS: words separated by
// blanks, "..." keeping blanks, a backslash escaping the next character
// inside quotes only.
func quote(path string) string {
	if !strings.ContainsAny(path, " \t\n\"\\") {
		return path
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(path) + `"`
}
