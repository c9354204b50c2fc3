package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/poold/poold/internal/mode"
	"golang.org/x/sys/unix"
)

// Mode is --worker-cgroups: whether each worker gets a cgroup of its own
// (mode.Cgroups).
type Mode = mode.Cgroups

const (
	ModeAuto = mode.CgroupsAuto
	ModeOn   = mode.CgroupsOn
	ModeOff  = mode.CgroupsOff
)

// ParseMode parses a --worker-cgroups value.
func ParseMode(s string) (Mode, error) { return mode.ParseCgroups(s) }

// Delegation is poold's own cgroup on the unified (v2) hierarchy, and
// whether poold may make cgroups below it for its workers.
type Delegation struct {
	// Usable is true when the workers get cgroups of their own.
	Usable bool
	// Delegated is true when the service manager delegated the cgroup
	// (Delegate=yes); false with --worker-cgroups=on on a cgroup that was
	// not.
	Delegated bool
	// Reason says why Usable is false, e.g. "cgroup v1".
	Reason string
	// Dir is the cgroup's directory and Path its cgroup path, e.g.
	// /sys/fs/cgroup/system.slice/poold@web.service and
	// /system.slice/poold@web.service; empty without a unified hierarchy.
	Dir, Path string
	// Controllers are those cgroup.controllers offers, e.g. cpu io memory
	// pids; none on a hybrid host, whose controllers are all on v1.
	Controllers []string
}

// delegatedXattrs are set to "1" by systemd (since v251 both; trusted.*
// needs CAP_SYS_ADMIN to read) on the cgroup of a unit with Delegate=yes.
var delegatedXattrs = []string{"user.delegate", "trusted.delegate"}

// Detect looks at poold's own cgroup on the real filesystem.
func Detect(mode Mode) Delegation {
	return DetectFrom("/", mode, hasDelegateXattr)
}

// DetectFrom reads root/proc/self/cgroup and root/proc/self/mountinfo and
// the cgroup directory they name under root; delegated reports whether the
// service manager marked a cgroup directory as delegated.
func DetectFrom(root string, mode Mode, delegated func(dir string) bool) Delegation {
	if mode == ModeOff {
		return Delegation{Reason: "off (--worker-cgroups=off)"}
	}
	d, err := locate(root)
	if err != nil {
		return Delegation{Reason: err.Error()}
	}
	if _, err := os.Stat(filepath.Join(d.Dir, "cgroup.events")); err != nil {
		// The root cgroup has no cgroup.events; its processes are the host's.
		d.Reason = "poold runs in the root cgroup, not one of its own"
		return d
	}
	d.Delegated = delegated(d.Dir)
	if !d.Delegated && mode == ModeAuto {
		d.Reason = "not delegated (Delegate=yes in the unit, or --worker-cgroups=on)"
		return d
	}
	if reason := notWritable(d.Dir); reason != "" {
		d.Reason = reason
		return d
	}
	s, _, err := readValue(filepath.Join(d.Dir, "cgroup.controllers"))
	if err != nil {
		d.Reason = err.Error()
		return d
	}
	d.Controllers = strings.Fields(s)
	d.Usable = true
	return d
}

// locate finds poold's cgroup on the unified hierarchy, wherever that is
// mounted: /sys/fs/cgroup (v2), /sys/fs/cgroup/unified (hybrid).
func locate(root string) (Delegation, error) {
	pc, mounts, err := readLayout(root)
	if err != nil {
		return Delegation{}, err
	}
	if pc.unified == "" {
		if len(pc.v1) > 0 {
			return Delegation{}, errors.New("cgroup v1")
		}
		return Delegation{}, errors.New("no cgroup filesystem")
	}
	if hasPathPrefix(pc.unified, "/..") {
		return Delegation{}, errors.New("poold's cgroup is outside its cgroup namespace")
	}
	h, ok := findMount(mounts, 2, 0, pc.unified)
	if !ok {
		return Delegation{}, errors.New("cgroup v1 (no cgroup2 filesystem mounted)")
	}
	dir := h.levels()[0].dir
	return Delegation{Dir: filepath.Join(root, dir), Path: pc.unified}, nil
}

// notWritable says why poold cannot make cgroups in dir and move processes
// between them, or "".
func notWritable(dir string) string {
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		err := unix.Access(p, unix.W_OK)
		switch {
		case err == nil:
		case errors.Is(err, unix.EROFS):
			return "cgroup filesystem read-only (ProtectControlGroups=yes in the unit)"
		default:
			return fmt.Sprintf("cgroup not writable by poold: %s: %v", p, err)
		}
	}
	return ""
}

func hasDelegateXattr(dir string) bool {
	buf := make([]byte, 8)
	for _, name := range delegatedXattrs {
		n, err := unix.Getxattr(dir, name, buf)
		if err == nil && string(buf[:n]) == "1" {
			return true
		}
	}
	return false
}
