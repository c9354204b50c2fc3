package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// runtimeDir holds the workers' notify sockets for one poold instance.
type runtimeDir string

// makeRuntimeDir creates a fresh private directory for this instance, under
// systemd's RuntimeDirectory= when set, else /run/poold for root, else the
// user's XDG_RUNTIME_DIR, else the temp dir. A fresh directory per instance
// means two pools of the same name never touch each other's sockets.
func makeRuntimeDir(pool string) (runtimeDir, error) {
	base := runtimeBase()
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("runtime directory: %w", err)
	}
	// Short enough that base/dir/wNNN.notify fits a unix socket path.
	dir, err := os.MkdirTemp(base, pool[:min(len(pool), 24)]+".")
	if err != nil {
		return "", fmt.Errorf("runtime directory: %w", err)
	}
	return runtimeDir(dir), nil
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
