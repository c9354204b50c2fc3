package nodejs

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed preload.js
var preload []byte

// FileName is the preload's name in poold's runtime directory: .cjs, so
// that Node loads it as CommonJS whatever package.json is above it.
const FileName = "node-preload.cjs"

// Mode is --node-preload.
type Mode int

const (
	// Auto puts the preload in front of node commands.
	Auto Mode = iota + 1
	// Off leaves every command's NODE_OPTIONS alone.
	Off
)

var modeNames = map[Mode]string{Auto: "auto", Off: "off"}

func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses a --node-preload value.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("node-preload %q: want auto or off", s)
}

// IsNodeCommand tells whether command (a worker command's executable, a
// path or a name looked up in PATH) is node itself. Package managers (npm,
// npx, yarn, pnpm) are not: the scripts they start do not inherit fds 3..,
// so their node could not serve the pool's sockets anyway.
func IsNodeCommand(command string) bool {
	base := filepath.Base(command)
	return base == "node" || base == "nodejs"
}

// Install writes the preload into dir, poold's runtime directory, and
// returns its path.
func Install(dir string) (string, error) {
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, preload, 0o644); err != nil {
		return "", fmt.Errorf("node preload: %w", err)
	}
	return path, nil
}

// WithPreload returns env with "--require PATH" in front of its
// NODE_OPTIONS, which it adds if missing.
func WithPreload(env []string, path string) []string {
	opt := "--require " + quote(path)
	out := slices.Clone(env)
	for i, kv := range out {
		if old, ok := strings.CutPrefix(kv, "NODE_OPTIONS="); ok {
			if strings.TrimSpace(old) != "" {
				opt += " " + old
			}
			out[i] = "NODE_OPTIONS=" + opt
			return out
		}
	}
	return append(out, "NODE_OPTIONS="+opt)
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
