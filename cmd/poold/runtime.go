package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// runtimeDir holds the workers' notify sockets for one poold instance:
// BASE/NAME.PID, private to poold's user (0700), as poold trusts what
// arrives on those sockets. A private bus, which every local user must
// reach, goes beside it in rundir.BusDir (see internal/rundir).
type runtimeDir string

// runtimeDirFor names this instance's directory under rundir.Base: systemd's
// RuntimeDirectory= when set, else /run/poold for root, else the user's
// XDG_RUNTIME_DIR, else the temp dir. The PID keeps two pools of the same
// name apart.
func runtimeDirFor(pool string) runtimeDir {
	// The name is cut so that BASE/NAME.PID/wNNN.notify fits a socket path.
	name := pool[:min(len(pool), 24)] + "." + strconv.Itoa(os.Getpid())
	return runtimeDir(filepath.Join(rundir.Base(os.Getenv, os.Geteuid()), name))
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
	fd, err := unix.Open(filepath.Join(dir, rundir.LockFile), unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("runtime directory lock: %w", err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		return fmt.Errorf("runtime directory lock: %w", err)
	}
	return nil
}

// removeStale removes directories whose lock nobody holds, with their
// private buses, and private buses whose runtime directory is gone.
func removeStale(base string, log *slog.Logger) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		if !e.IsDir() {
			continue
		}
		if runDir, ok := rundir.RuntimeDirOf(dir); ok {
			if _, err := os.Lstat(runDir); errors.Is(err, fs.ErrNotExist) {
				removeBus(dir, log)
			}
			continue
		}
		fd, err := unix.Open(filepath.Join(dir, rundir.LockFile), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // not ours, or just being created
		}
		if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil {
			log.Debug("removing a stale runtime directory", "dir", dir)
			removeBus(rundir.BusDir(dir), log)
			os.RemoveAll(dir)
		}
		unix.Close(fd)
	}
}

// removeBus kills the dbus-daemon of a stale pool's private bus if it
// survived its poold, and removes the bus directory.
func removeBus(dir string, log *slog.Logger) {
	killed, err := privatebus.KillStale(dir)
	switch {
	case err != nil:
		log.Warn("stale private bus", "dir", dir, "err", err)
	case killed:
		log.Info("killed the dbus-daemon of a stale pool", "dir", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("stale private bus", "dir", dir, "err", err)
	}
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
	return serviceOfCgroup(string(b))
}

// serviceOfCgroup finds the service in /proc/self/cgroup's path (the unified
// hierarchy's, or systemd's own on cgroup v1): its innermost *.service
// component, as poold may have moved itself below it, into the supervisor
// cgroup of its delegated cgroup.
func serviceOfCgroup(content string) string {
	for _, line := range strings.Split(strings.TrimSpace(content), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[0] != "0" && !strings.Contains(parts[1], "name=systemd")) {
			continue
		}
		for p := parts[2]; p != "/" && p != "." && p != ""; p = filepath.Dir(p) {
			if base := filepath.Base(p); strings.HasSuffix(base, ".service") {
				return base
			}
		}
	}
	return ""
}
