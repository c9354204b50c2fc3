package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// versionTimeout bounds running the binary on disk for its version.
const versionTimeout = 5 * time.Second

// selfBinary tells whether poold's executable file is still the one at the
// path poold was started from: a package upgrade renames a new one over it
// and pools keep running the old, deleted one until they restart. It reads
// the new file's version once, by running it with --version.
type selfBinary struct {
	path    string // where poold was started from
	running fileID // the file poold runs
	mu      sync.Mutex
	seen    fileID // the file at path that version is of
	version string // its version, "" if it could not tell
}

// fileID tells one file from another that took its name.
type fileID struct {
	dev, ino  uint64
	size      int64
	mtimeNsec int64
}

func statID(path string) (fileID, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileID{}, false
	}
	return fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtimeNsec: st.Mtim.Nano()}, true
}

// newSelfBinary notes which file poold runs; nil when /proc cannot tell.
func newSelfBinary() *selfBinary {
	path, err := os.Readlink("/proc/self/exe")
	running, ok := statID("/proc/self/exe") // the file itself, deleted or not
	if err != nil || !ok {
		return nil
	}
	return &selfBinary{path: strings.TrimSuffix(path, " (deleted)"), running: running}
}

// replaced reports whether another file, or none, is at poold's path now,
// and the version of that file, "" when none or it cannot tell.
func (b *selfBinary) replaced(ctx context.Context) (bool, string) {
	if b == nil {
		return false, ""
	}
	now, ok := statID(b.path)
	switch {
	case !ok:
		return true, ""
	case now.dev == b.running.dev && now.ino == b.running.ino:
		return false, ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if now != b.seen {
		b.seen, b.version = now, versionOf(ctx, b.path)
	}
	return true, b.version
}

// versionOf is the version of the binary at path, "" when it cannot tell
// (see probeVersion).
func versionOf(ctx context.Context, path string) string {
	v, _ := probeVersion(ctx, path)
	return v
}

// probeVersion runs "path --version", in an empty environment and with a
// timeout, and returns what it says after "poold ", or why it could not
// tell.
func probeVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return "", fmt.Errorf("%s --version did not answer within %v: check the binary (a package upgrade half done?), then retry", path, versionTimeout)
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && len(exit.Stderr) > 0 {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
		}
		return "", fmt.Errorf("%s --version: %w: reinstall poold, then retry", path, err)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "poold ")
	if !ok || v == "" || strings.ContainsAny(v, " \n") {
		return "", fmt.Errorf("%s --version said %q, not \"poold VERSION\": is it poold? Reinstall poold, then retry", path, strings.TrimSpace(string(out)))
	}
	return v, nil
}
