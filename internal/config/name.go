package config

import (
	"path/filepath"
	"strings"
)

// interpreters are commands whose script, not themselves, names the app.
var interpreters = map[string]bool{
	"node": true, "nodejs": true, "bun": true, "deno": true, "python": true, "python3": true,
	"ruby": true, "perl": true, "php": true, "java": true, "sh": true, "bash": true, "npm": true, "npx": true,
}

// DeriveName picks a pool name when --name is not given: the systemd unit
// ("myapp.service" and "poold@myapp.service" give "myapp"), else the
// command's script ("node server.js" gives "server"), else the command.
func DeriveName(unit string, command []string) string {
	if unit != "" {
		base := strings.TrimSuffix(unit, filepath.Ext(unit))
		if _, inst, ok := strings.Cut(base, "@"); ok && inst != "" {
			base = inst
		}
		if n := sanitize(base); n != "" {
			return n
		}
	}
	if len(command) == 0 {
		return "poold"
	}
	name := filepath.Base(command[0])
	if interpreters[name] {
		for _, arg := range command[1:] {
			if strings.HasPrefix(arg, "-") {
				continue
			}
			if !strings.ContainsAny(arg, " \t;|&") { // a script, not "sh -c" code
				name = strings.TrimSuffix(filepath.Base(arg), filepath.Ext(arg))
			}
			break
		}
	}
	if n := sanitize(name); n != "" {
		return n
	}
	return "poold"
}

// MaxNameLen bounds a pool name: escaped for D-Bus (three bytes for each
// '.', '-' and '_') it stays within a bus name's 255.
const MaxNameLen = 64

// ValidName reports whether s may be a pool name (--name): letters,
// digits, '_', '-' and '.', at most MaxNameLen, not starting with '.' or
// '-'. Names become file names ("." and ".." are not) and arguments of
// poolctl and systemctl (a leading '-' would read as an option).
func ValidName(s string) bool { return s != "" && len(s) <= MaxNameLen && sanitize(s) == s }

// NameRule is what ValidName wants, for errors.
const NameRule = "use letters, digits, '_', '-' and '.', at most 64, not starting with '.' or '-'"

// sanitize keeps the characters a pool name may have (they end up in D-Bus
// bus names and file names), without a leading '.' or '-'.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return -1
	}, s)
	s = strings.TrimLeft(s, ".-")
	return s[:min(len(s), MaxNameLen)]
}
