package config

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"
)

// EnvFile is one --env-file: a file of KEY=VALUE lines whose variables the
// workers get on top of poold's environment, read at start and at every
// reload.
type EnvFile struct {
	Path string
	// Optional: written -FILE, as systemd's EnvironmentFile=-FILE; a
	// missing file is then empty, not an error.
	Optional bool
}

func (f EnvFile) String() string {
	if f.Optional {
		return "-" + f.Path
	}
	return f.Path
}

// ParseEnvFileArg reads an --env-file value, [-]FILE.
func ParseEnvFileArg(s string) (EnvFile, error) {
	path, optional := strings.CutPrefix(s, "-")
	if path == "" {
		return EnvFile{}, fmt.Errorf("--env-file %q: want [-]FILE", s)
	}
	return EnvFile{Path: path, Optional: optional}, nil
}

// readEnvFiles reads the files in order, a later one's variables winning,
// into KEY=VALUE entries, one per key, in the order keys first appear.
func readEnvFiles(files []EnvFile, readFile func(string) ([]byte, error)) ([]string, []error) {
	var env []string
	var errs []error
	for _, f := range files {
		data, err := readFile(f.Path)
		switch {
		case f.Optional && errors.Is(err, fs.ErrNotExist):
			continue
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("--env-file %s: no such file (write -%s for a file that may be missing)", f.Path, f.Path))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("--env-file: %w", err))
			continue
		}
		vars, perrs := ParseEnvFile(f.Path, data)
		errs = append(errs, perrs...)
		env = MergeEnv(env, vars)
	}
	return env, errs
}

// MergeEnv is base with over's variables, over winning: a key of both
// keeps its place in base and takes over's value.
func MergeEnv(base, over []string) []string {
	out := slices.Clone(base)
	index := make(map[string]int, len(out))
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// envParser reads an environment file by systemd's EnvironmentFile= rules
// (its parse_env_file): KEY=VALUE lines; blank lines and lines starting
// with # or ; ignored; blanks around KEY and VALUE dropped; a value in
// single quotes taken as it is, in double quotes with \" \\ \$ \` escapes;
// a backslash elsewhere escapes the next character, a newline too (the
// line goes on). Unlike systemd, which skips them with a warning, a line
// without = and an invalid key are errors, naming the file and line.
type envParser struct {
	file     string
	line     int // the current line
	keyLine  int // where the current key started
	key      strings.Builder
	value    strings.Builder
	keyBlank int // where the key's trailing blanks start; -1 for none
	valBlank int // where the value's trailing blanks start; -1 for none
	vars     []string
	errs     []error
	state    envState
}

type envState int

const (
	envPreKey envState = iota
	envInKey
	envPreValue
	envInValue
	envValueEscape
	envSingleQuoted
	envDoubleQuoted
	envDoubleEscape
	envInComment
	envCommentEscape
)

// ParseEnvFile parses the contents of an environment file, returning its
// variables as KEY=VALUE in file order (a later line for the same key
// wins, as systemd has it) and every problem found, each as FILE:LINE.
func ParseEnvFile(file string, data []byte) ([]string, []error) {
	p := &envParser{file: file, line: 1}
	for _, c := range string(data) {
		p.step(c)
	}
	switch p.state {
	case envInKey:
		p.fail("want KEY=VALUE, found %q", strings.TrimSpace(p.key.String()))
	case envPreValue, envInValue, envValueEscape, envSingleQuoted, envDoubleQuoted, envDoubleEscape:
		p.emit()
	}
	return MergeEnv(nil, p.vars), p.errs
}

func (p *envParser) step(c rune) {
	switch p.state {
	case envPreKey, envInKey:
		p.stepKey(c)
	case envPreValue, envInValue, envValueEscape:
		p.stepValue(c)
	case envSingleQuoted, envDoubleQuoted, envDoubleEscape:
		p.stepQuoted(c)
	case envInComment, envCommentEscape:
		p.stepComment(c)
	}
}

func (p *envParser) stepKey(c rune) {
	switch {
	case p.state == envPreKey && (c == '#' || c == ';'):
		p.state = envInComment
	case p.state == envPreKey && c == '\n':
		p.line++
	case p.state == envPreKey && !isBlank(c):
		p.state, p.keyLine, p.keyBlank = envInKey, p.line, -1
		p.key.WriteRune(c)
	case p.state == envPreKey:
	case c == '\n':
		p.fail("want KEY=VALUE, found %q", strings.TrimSpace(p.key.String()))
		p.reset()
		p.line++
	case c == '=':
		p.state, p.valBlank = envPreValue, -1
	default:
		addTrimmable(&p.key, &p.keyBlank, c)
	}
}

// stepValue reads an unquoted value, and the blanks before a value or
// between its parts.
func (p *envParser) stepValue(c rune) {
	switch {
	case p.state == envValueEscape:
		p.state = envInValue
		if c == '\n' {
			p.line++ // the value goes on on the next line
		} else {
			p.value.WriteRune(c)
		}
	case c == '\n':
		p.emit()
		p.line++
	case c == '\\':
		p.state, p.valBlank = envValueEscape, -1
	case p.state == envInValue:
		addTrimmable(&p.value, &p.valBlank, c)
	case c == '\'':
		p.state = envSingleQuoted
	case c == '"':
		p.state = envDoubleQuoted
	case !isBlank(c):
		p.state = envInValue
		p.value.WriteRune(c)
	}
}

func (p *envParser) stepQuoted(c rune) {
	switch {
	case p.state == envSingleQuoted && c == '\'', p.state == envDoubleQuoted && c == '"':
		p.state = envPreValue
	case p.state == envDoubleQuoted && c == '\\':
		p.state = envDoubleEscape
	case p.state == envDoubleEscape:
		p.state = envDoubleQuoted
		switch {
		case strings.ContainsRune("\"\\`$", c):
			p.value.WriteRune(c)
		case c == '\n':
			p.line++
		default:
			p.value.WriteRune('\\')
			p.quoted(c)
		}
	default:
		p.quoted(c)
	}
}

// stepComment skips a comment; a backslash at its end continues it on the
// next line, as systemd has it.
func (p *envParser) stepComment(c rune) {
	switch {
	case p.state == envCommentEscape:
		p.state = envInComment
		if c == '\n' {
			p.line++
		}
	case c == '\\':
		p.state = envCommentEscape
	case c == '\n':
		p.state = envPreKey
		p.line++
	}
}

// quoted adds a character of a quoted part, counting the lines it spans.
func (p *envParser) quoted(c rune) {
	if c == '\n' {
		p.line++
	}
	p.value.WriteRune(c)
}

// emit ends one assignment.
func (p *envParser) emit() {
	key := p.key.String()
	if p.keyBlank >= 0 {
		key = key[:p.keyBlank]
	}
	value := p.value.String()
	if p.state == envInValue && p.valBlank >= 0 {
		value = value[:p.valBlank]
	}
	switch {
	case !validEnvName(key):
		p.fail("%q is not a valid variable name: letters, digits and _, not starting with a digit", key)
	case !utf8.ValidString(value):
		p.fail("the value of %s is not valid UTF-8", key)
	default:
		p.vars = append(p.vars, key+"="+value)
	}
	p.reset()
}

func (p *envParser) reset() {
	p.key.Reset()
	p.value.Reset()
	p.state = envPreKey
}

func (p *envParser) fail(format string, args ...any) {
	p.errs = append(p.errs, &lineError{file: p.file, line: p.keyLine, err: fmt.Errorf(format, args...)})
}

// addTrimmable adds c to b, keeping in blank where b's trailing blanks
// start (-1 for none), which the end of the line drops.
func addTrimmable(b *strings.Builder, blank *int, c rune) {
	if !isBlank(c) {
		*blank = -1
	} else if *blank < 0 {
		*blank = b.Len()
	}
	b.WriteRune(c)
}

func isBlank(c rune) bool { return c == ' ' || c == '\t' || c == '\r' }

// validEnvName is a portable variable name, as a shell and every runtime
// read it.
func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if c != '_' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
