package config

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
)

// A config file (--config FILE) holds one "KEY = VALUE" per line: KEY is
// the long name of a flag, or "command" for the worker command. Values are
// read as shell words (SplitWords): command takes one or more, every other
// key exactly one. Blank lines and lines starting with '#' are ignored.
// Flags on the command line win over the file, and a command after "--"
// over its command; a key the command line also sets is not read at all.
const (
	configFlag = "config"
	commandKey = "command"
)

// repeatable are the keys a config file may set on several lines.
var repeatable = map[string]bool{"listen": true, "env-file": true}

// notInFile are the flags a config file cannot set.
var notInFile = map[string]bool{configFlag: true, "version": true}

// entry is one KEY = VALUE line.
type entry struct {
	key   string
	words []string
	line  int
}

// sources says where values came from: the config file, if any, and the
// line of each key it set.
type sources struct {
	file   string
	line   map[string]int
	unread bool // the file could not be read: it set nothing
}

// wrap places err on the config file's line when the file set key.
func (s sources) wrap(key string, err error) error {
	if n, ok := s.line[key]; ok {
		return &lineError{file: s.file, line: n, err: err}
	}
	return err
}

// lineError is a problem of one line of a config file: FILE:LINE: err.
type lineError struct {
	file string
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// byLine orders errors as people read them: those of the command line and
// the environment first, then the config file's, line by line.
func byLine(errs []error) []error {
	lineOf := func(err error) int {
		var le *lineError
		if errors.As(err, &le) {
			return le.line
		}
		return 0
	}
	slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(lineOf(a), lineOf(b)) })
	return errs
}

// parseEntries reads the lines of a config file.
func parseEntries(file string, data []byte) ([]entry, []error) {
	var entries []entry
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			errs = append(errs, &lineError{file, n, fmt.Errorf("want KEY = VALUE, found %q", line)})
			continue
		}
		words, err := SplitWords(value)
		if err != nil {
			errs = append(errs, &lineError{file, n, fmt.Errorf("%s: %w", key, err)})
			continue
		}
		entries = append(entries, entry{key: key, words: words, line: n})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", file, err))
	}
	return entries, errs
}

// applyFile sets the flags of fs that the entries name and the command line
// did not set, records their lines in src, and returns the file's command
// (nil when the command line has one). listen is fs's --listen, told where
// each of its values comes from.
func applyFile(fs *flag.FlagSet, src sources, entries []entry, listen *listFlag, haveCommand bool) ([]string, []error) {
	given := map[string]bool{commandKey: haveCommand}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	seen := map[string]int{}
	var command []string
	var errs []error
	for _, e := range entries {
		at := func(err error) error { return &lineError{src.file, e.line, err} }
		if err := checkEntry(fs, e); err != nil {
			errs = append(errs, at(err))
			continue
		}
		if first, dup := seen[e.key]; dup && !repeatable[e.key] {
			errs = append(errs, at(fmt.Errorf("%s is already set on line %d", e.key, first)))
			continue
		}
		seen[e.key] = e.line
		if given[e.key] {
			continue // the command line wins
		}
		if _, ok := src.line[e.key]; !ok {
			src.line[e.key] = e.line
		}
		switch e.key {
		case commandKey:
			command = e.words
		case "listen":
			listen.at = at
			_ = fs.Set(e.key, e.words[0]) // listFlag keeps its errors
			listen.at = nil
		default:
			if err := setFromFile(fs, e); err != nil {
				errs = append(errs, at(err))
			}
		}
	}
	return command, errs
}

// setFromFile sets the flag an entry names. A value the flag cannot read
// leaves the flag as it was: some (durations) would be zeroed, and then
// reported again as a 0 the file never held.
func setFromFile(fs *flag.FlagSet, e entry) error {
	f := fs.Lookup(e.key)
	old := f.Value.String()
	if err := fs.Set(e.key, e.words[0]); err != nil {
		_ = f.Value.Set(old) // the value it printed itself
		return fmt.Errorf("invalid value %q for %s: %w", e.words[0], e.key, err)
	}
	return nil
}

// checkEntry checks a key and its number of words.
func checkEntry(fs *flag.FlagSet, e entry) error {
	switch {
	case e.key == commandKey:
		if len(e.words) == 0 {
			return fmt.Errorf("%s: no command", commandKey)
		}
		return nil
	case notInFile[e.key]:
		return fmt.Errorf("%s cannot be set in a config file", e.key)
	case fs.Lookup(e.key) == nil:
		if k := strings.TrimLeft(e.key, "-"); k != e.key && fs.Lookup(k) != nil {
			return fmt.Errorf("unknown key %q: write %s, without dashes", e.key, k)
		}
		if near, ok := nearestKey(fs, e.key, notInFile); ok {
			return fmt.Errorf("unknown key %q: did you mean %s?", e.key, near)
		}
		return fmt.Errorf("unknown key %q: keys are poold's long flag names (poold --help) and %s", e.key, commandKey)
	case len(e.words) == 0:
		return fmt.Errorf("%s: no value (write %s = \"\" for an empty one)", e.key, e.key)
	case len(e.words) > 1:
		return fmt.Errorf("%s takes one value, found %d words (quote a value with blanks)", e.key, len(e.words))
	}
	return nil
}
