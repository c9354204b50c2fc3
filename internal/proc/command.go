package proc

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// CommandError says why a worker command cannot start, and what to do.
type CommandError struct {
	Command string // argv[0] as given
	Path    string // the file it names, when one was found
	Problem string
}

func (e *CommandError) Error() string {
	if e.Path != "" && e.Path != e.Command {
		return fmt.Sprintf("worker command %q (%s): %s", e.Command, e.Path, e.Problem)
	}
	return fmt.Sprintf("worker command %q: %s", e.Command, e.Problem)
}

// CheckCommand tells whether the trampoline's exec of name would find an
// executable file, as the user poold runs as (the workers' user), with the
// search path of the workers' environment and poold's working directory,
// which the workers share. A script's "#!" interpreter and an ELF binary's
// dynamic loader must exist too: exec fails with ENOENT without them. It
// checks once, at start: a file removed later is a worker crash.
func CheckCommand(name, path string) error {
	found, err := lookPath(name, path)
	if err != nil {
		return err
	}
	if problem := interpreterProblem(found, path); problem != "" {
		return &CommandError{Command: name, Path: found, Problem: problem}
	}
	return nil
}

// lookPath finds name as exec.LookPath does in the trampoline, and when
// that fails, says why the best candidate was refused.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		if executable(name) && !isDir(name) {
			return name, nil
		}
		return "", &CommandError{Command: name, Path: name, Problem: fileProblem(name, true)}
	}
	var refused string
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, name)
		if _, err := os.Stat(candidate); err != nil {
			continue
		}
		if executable(candidate) && !isDir(candidate) {
			if !filepath.IsAbs(candidate) {
				return "", &CommandError{Command: name, Path: candidate, Problem: "found only through a relative directory in PATH, which exec refuses: give its path (./" + name + ") or an absolute PATH entry"}
			}
			return candidate, nil
		}
		if refused == "" {
			refused = candidate
		}
	}
	if refused != "" {
		return "", &CommandError{Command: name, Path: refused, Problem: fileProblem(refused, false) + "; no other " + name + " is in PATH"}
	}
	return "", &CommandError{Command: name, Problem: fmt.Sprintf("not found in PATH (%s): install it, or give its path", path)}
}

// fileProblem says why the file at p cannot be executed.
func fileProblem(p string, named bool) string {
	info, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && named && !filepath.IsAbs(p):
		wd, _ := os.Getwd()
		return fmt.Sprintf("no such file in the working directory %s, which the workers get: give the path from there, or an absolute one", wd)
	case errors.Is(err, fs.ErrNotExist):
		return "no such file: check the path"
	case err != nil:
		return err.Error()
	case info.IsDir():
		return "is a directory: name the program in it"
	case !info.Mode().IsRegular():
		return "is not a regular file: name a program"
	}
	return fmt.Sprintf("not executable by %s, the user the workers run as (mode %s): chmod +x it, or run it through its interpreter",
		userName(), info.Mode().Perm())
}

// executable tells whether the user poold runs as may execute p, as
// exec's own check does (root needs one x bit).
func executable(p string) bool {
	return unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS) == nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// interpreterProblem says what is missing when the executable file p
// needs an interpreter (a script's "#!" line, an ELF binary's dynamic
// loader) that is not there, or "" when nothing is.
func interpreterProblem(p, path string) string {
	f, err := os.Open(p)
	if err != nil {
		return "" // exec will say; nothing more to add
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("#!")):
		return shebangProblem(head, path)
	case bytes.HasPrefix(head, []byte(elf.ELFMAG)):
		return loaderProblem(f)
	}
	return ""
}

// shebangProblem checks a script's interpreter, and for "#!/usr/bin/env
// PROGRAM" that PROGRAM is in PATH.
func shebangProblem(head []byte, path string) string {
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return "is a script with an empty #! line: name its interpreter there"
	}
	interp := fields[0]
	if _, err := os.Stat(interp); err != nil {
		return fmt.Sprintf("is a script whose interpreter %s (its #! line) is missing: install it, or fix the #! line", interp)
	}
	if filepath.Base(interp) != "env" {
		return ""
	}
	for _, arg := range fields[1:] {
		if strings.HasPrefix(arg, "-") || strings.Contains(arg, "=") {
			continue
		}
		if !strings.Contains(arg, "/") && lookIn(arg, path) == "" {
			return fmt.Sprintf("is a script run by %s (its #! line %q), which is not in PATH (%s): install it, or add its directory to PATH", arg, string(line), path)
		}
		break
	}
	return ""
}

// lookIn finds an executable name in the directories of path, or "".
func lookIn(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if c := filepath.Join(dir, name); executable(c) && !isDir(c) {
			return c
		}
	}
	return ""
}

// loaderProblem checks an ELF binary's dynamic loader (PT_INTERP).
func loaderProblem(f *os.File) string {
	e, err := elf.NewFile(f)
	if err != nil {
		return ""
	}
	for _, prog := range e.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(prog.Open())
		if err != nil {
			return ""
		}
		loader := string(bytes.TrimRight(b, "\x00"))
		if _, err := os.Stat(loader); err != nil {
			return fmt.Sprintf("is a program whose dynamic loader %s is missing (built for another system?): build it for this one, or link it statically", loader)
		}
	}
	return ""
}

func userName() string {
	uid := os.Geteuid()
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}
