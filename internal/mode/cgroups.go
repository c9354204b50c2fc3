package mode

import "github.com/poold/poold/internal/enum"

// Cgroups is --worker-cgroups: whether each worker gets a cgroup of its own.
type Cgroups int

const (
	// CgroupsAuto uses per-worker cgroups when the service manager
	// delegated poold's cgroup to it (systemd's Delegate=yes), else falls
	// back.
	CgroupsAuto Cgroups = iota + 1
	// CgroupsOn uses them whenever poold's cgroup is writable, delegated or
	// not (a container's PID 1, a cgroup made for poold by hand); poold
	// refuses to start when it cannot.
	CgroupsOn
	// CgroupsOff never uses them.
	CgroupsOff
)

var cgroupModes = enum.Names[Cgroups]{What: "worker cgroups", Type: "Mode", Names: []string{"auto", "on", "off"}}

func (m Cgroups) String() string { return cgroupModes.String(m) }

// ParseCgroups parses a --worker-cgroups value.
func ParseCgroups(s string) (Cgroups, error) { return cgroupModes.Parse(s) }
