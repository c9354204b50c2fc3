package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// runtimeDir holds the workers' notify sockets for one poold instance:
// BASE/NAME.PID, private to poold's user.
type runtimeDir string

// runtimeDirFor names this instance's directory under systemd's
// RuntimeDirectory= when set, else /run/poold for root, else the user's
// XDG_RUNTIME_DIR, else the temp dir. The PID keeps two pools of the same
// name apart.
func runtimeDirFor(pool string) runtimeDir {
	// The name is cut so that BASE/NAME.PID/wNNN.notify fits a socket path.
	name := pool[:min(len(pool), 24)] + "." + strconv.Itoa(os.Getpid())
	return runtimeDir(filepath.Join(runtimeBase(), name))
}

// create makes the directory afresh, and removes those that poolds which
// are no longer running left behind (killed with SIGKILL, say).
func (d runtimeDir) create(log *slog.Logger) error {
	base := filepath.Dir(string(d))
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	removeStale(base, log)
	if err := os.RemoveAll(string(d)); err != nil { // a namesake from a reused PID
		return fmt.Errorf("runtime directory: %w", err)
	}
	if err := os.Mkdir(string(d), 0o700); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	return nil
}

// removeStale removes NAME.PID directories whose PID no longer runs.
func removeStale(base string, log *slog.Logger) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		i := strings.LastIndexByte(e.Name(), '.')
		pid, err := strconv.Atoi(e.Name()[i+1:])
		if !e.IsDir() || i < 1 || err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			log.Debug("removing a stale runtime directory", "dir", e.Name())
			os.RemoveAll(filepath.Join(base, e.Name()))
		}
	}
}

func runtimeBase() string {
	if d, _, _ := strings.Cut(os.Getenv("RUNTIME_DIRECTORY"), ":"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/run/poold"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "poold")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("poold-%d", os.Getuid()))
}

// systemdUnit returns the service unit poold runs in ("myapp.service"), or ""
// when not started by systemd.
func systemdUnit() string {
	if os.Getenv("INVOCATION_ID") == "" {
		return ""
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[0] != "0" && !strings.Contains(parts[1], "name=systemd")) {
			continue
		}
		if base := filepath.Base(parts[2]); strings.HasSuffix(base, ".service") {
			return base
		}
	}
	return ""
}
