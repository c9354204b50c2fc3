package cgroup

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// controller is a cgroup controller whose limits size the pool.
type controller int

const (
	cpuController controller = iota + 1
	memoryController
	cpusetController
)

// controllers is the order ReadFrom visits them in; the first one found
// sets Limits.Version and Limits.Path.
var controllers = []controller{cpuController, memoryController, cpusetController}

func (c controller) String() string {
	switch c {
	case cpuController:
		return "cpu"
	case memoryController:
		return "memory"
	case cpusetController:
		return "cpuset"
	}
	return fmt.Sprintf("controller(%d)", int(c))
}

// procCgroups is /proc/self/cgroup: the unified ("0::") path, "" when
// absent, and the path of each v1 controller.
type procCgroups struct {
	unified string
	v1      map[string]string
}

func parseProcCgroup(s string) (procCgroups, error) {
	pc := procCgroups{v1: map[string]string{}}
	for i, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		id, rest, ok := strings.Cut(line, ":")
		ctrls, p, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || id == "" || !strings.HasPrefix(p, "/") {
			return procCgroups{}, fmt.Errorf("line %d: got %q, want ID:CONTROLLERS:/PATH", i+1, line)
		}
		if id == "0" && ctrls == "" {
			pc.unified = p
			continue
		}
		for _, c := range strings.Split(ctrls, ",") {
			pc.v1[c] = p
		}
	}
	return pc, nil
}

// hierarchy is where the process's cgroup for one controller lives.
type hierarchy struct {
	version   int
	mountRoot string // mountinfo's root field: the cgroup at the mount point
	point     string // the mount point, prefixed with ReadFrom's root
	cgroup    string // the process's cgroup path; has mountRoot as prefix
}

// level is one cgroup on the way from the process's cgroup up to the mount.
type level struct {
	dir    string // directory holding the cgroup's files
	cgroup string // cgroup path, for reason lines
}

// levels lists the process's cgroup and its ancestors up to the mount's
// root, leaf first.
func (h hierarchy) levels() []level {
	var ls []level
	for cg := h.cgroup; ; cg = path.Dir(cg) {
		rel := cg
		if h.mountRoot != "/" {
			rel = strings.TrimPrefix(cg, h.mountRoot)
		}
		ls = append(ls, level{dir: filepath.Join(h.point, rel), cgroup: cg})
		if cg == h.mountRoot || cg == "/" {
			return ls
		}
	}
}

// resolve finds the hierarchy for c: v1 when c is mounted as v1 and the
// process has a v1 line for it, otherwise the unified hierarchy.
func resolve(pc procCgroups, mounts []mount, root string, c controller) (hierarchy, bool) {
	if p, ok := pc.v1[c.String()]; ok {
		if h, ok := findMount(mounts, 1, c, p); ok {
			h.point = filepath.Join(root, h.point)
			return h, true
		}
	}
	if pc.unified == "" {
		return hierarchy{}, false
	}
	h, ok := findMount(mounts, 2, c, pc.unified)
	if !ok {
		return hierarchy{}, false
	}
	h.point = filepath.Join(root, h.point)
	return h, true
}

// hasPathPrefix reports whether prefix is p or one of its ancestors.
func hasPathPrefix(p, prefix string) bool {
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}
