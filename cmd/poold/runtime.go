package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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

// create makes the directory afresh and locks it for poold's lifetime, and
// removes those that poolds no longer running left behind (killed with
// SIGKILL, say). The lock, not the PID, tells a live directory from a stale
// one: PIDs mean nothing across PID namespaces sharing this filesystem.
func (d *runtimeDir) create(log *slog.Logger) error {
	base := filepath.Dir(string(*d))
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	removeStale(base, log)
	if _, err := os.Stat(string(*d)); err == nil { // a live namesake in another PID namespace
		dir, err := os.MkdirTemp(base, filepath.Base(string(*d))+".")
		if err != nil {
			return fmt.Errorf("runtime directory: %w", err)
		}
		*d = runtimeDir(dir)
	} else if err := os.Mkdir(string(*d), 0o700); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	return lockDir(string(*d))
}

// lockDir takes an exclusive flock on DIR/lock and keeps its fd open until
// poold exits, when the kernel releases it.
func lockDir(dir string) error {
	fd, err := unix.Open(filepath.Join(dir, "lock"), unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("runtime directory lock: %w", err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		return fmt.Errorf("runtime directory lock: %w", err)
	}
	return nil
}

// removeStale removes directories whose lock nobody holds.
func removeStale(base string, log *slog.Logger) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		fd, err := unix.Open(filepath.Join(dir, "lock"), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if !e.IsDir() || err != nil {
			continue // not ours, or just being created
		}
		if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil {
			log.Debug("removing a stale runtime directory", "dir", dir)
			os.RemoveAll(dir)
		}
		unix.Close(fd)
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
