package cgroup

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Limits are what the kernel lets this process use.
type Limits struct {
	// Version is 1 or 2, the hierarchy that gave the CPU controller (else
	// memory, else cpuset); 0 when no cgroup fs was found.
	Version int
	// Path is the process's cgroup path in that hierarchy, e.g.
	// "/system.slice/myapp.service".
	Path string

	// CPUQuota is the CPUs allowed by the CFS quota (cpu.max, or
	// cfs_quota_us÷cfs_period_us), 0 = no quota; the tightest over the
	// cgroup and its ancestors.
	CPUQuota float64
	// QuotaSource names the file and cgroup that gave CPUQuota, e.g.
	// "cpu.max in /system.slice".
	QuotaSource string
	// AllowedCPUs is the number of CPUs in the affinity mask
	// (Cpus_allowed_list of /proc/self/status), 0 = unknown.
	AllowedCPUs int
	// CPUSetCPUs is the number of CPUs in the cpuset (cpuset.cpus.effective
	// on v2, cpuset.cpus on v1), the smallest over ancestors, 0 = unknown.
	CPUSetCPUs int

	// MemoryMax is in bytes, 0 = unlimited; the tightest of memory.max (v2)
	// or memory.limit_in_bytes (v1) over the cgroup and its ancestors.
	MemoryMax    int64
	MemorySource string
	// MemoryHigh is the v2 memory.high in bytes, 0 = unlimited; the
	// tightest over ancestors.
	MemoryHigh       int64
	MemoryHighSource string
}

// Read reads the limits of the current process from the real filesystem.
// When /proc/self/status does not give the affinity mask, it asks the kernel.
func Read() (Limits, error) {
	l, err := ReadFrom("/")
	if err != nil {
		return Limits{}, err
	}
	if l.AllowedCPUs == 0 {
		var set unix.CPUSet
		if unix.SchedGetaffinity(0, &set) == nil {
			l.AllowedCPUs = set.Count()
		}
	}
	return l, nil
}

// ReadFrom reads the limits from a tree rooted at root: root/proc/self/cgroup,
// root/proc/self/mountinfo, root/proc/self/status, and the cgroup files under
// the mount points that mountinfo names, prefixed with root.
func ReadFrom(root string) (Limits, error) {
	var l Limits
	n, err := readAffinity(filepath.Join(root, "proc/self/status"))
	if err != nil {
		return Limits{}, err
	}
	l.AllowedCPUs = n

	pc, mounts, err := readLayout(root)
	if err != nil {
		return Limits{}, err
	}
	for _, c := range controllers {
		h, ok := resolve(pc, mounts, root, c)
		if !ok {
			continue
		}
		if l.Version == 0 {
			l.Version, l.Path = h.version, h.cgroup
		}
		if err := readController(c, h, &l); err != nil {
			return Limits{}, err
		}
	}
	return l, nil
}

func readController(c controller, h hierarchy, l *Limits) error {
	if h.version == 1 {
		return readV1(c, h, l)
	}
	return readV2(c, h, l)
}

// readLayout reads /proc/self/cgroup and /proc/self/mountinfo; either being
// absent means no cgroup fs and gives empty results, not an error.
func readLayout(root string) (procCgroups, []mount, error) {
	file := filepath.Join(root, "proc/self/cgroup")
	pc, ok, err := readParsed(file, parseProcCgroup)
	if err != nil || !ok {
		return procCgroups{}, nil, err
	}
	file = filepath.Join(root, "proc/self/mountinfo")
	mounts, ok, err := readParsed(file, parseMountinfo)
	if err != nil || !ok {
		return procCgroups{}, nil, err
	}
	return pc, mounts, nil
}

func (l *Limits) tightenQuota(q float64, file string, lv level) {
	if q > 0 && (l.CPUQuota == 0 || q < l.CPUQuota) {
		l.CPUQuota, l.QuotaSource = q, source(file, lv)
	}
}

func (l *Limits) tightenMemory(b int64, file string, lv level) {
	if b > 0 && (l.MemoryMax == 0 || b < l.MemoryMax) {
		l.MemoryMax, l.MemorySource = b, source(file, lv)
	}
}

func (l *Limits) tightenHigh(b int64, file string, lv level) {
	if b > 0 && (l.MemoryHigh == 0 || b < l.MemoryHigh) {
		l.MemoryHigh, l.MemoryHighSource = b, source(file, lv)
	}
}

func (l *Limits) tightenCPUSet(n int) {
	if n > 0 && (l.CPUSetCPUs == 0 || n < l.CPUSetCPUs) {
		l.CPUSetCPUs = n
	}
}

func source(file string, lv level) string {
	return fmt.Sprintf("%s in %s", file, lv.cgroup)
}
