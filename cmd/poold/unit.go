package main

import (
	"os"
	"path/filepath"
	"strings"
)

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
