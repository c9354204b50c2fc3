package proc

import (
	"fmt"
	"os"
	"strings"

	"github.com/poold/poold/internal/procstat"
)

// ownUID is poold's effective uid: with root, the only one whose datagrams
// count.
var ownUID = os.Geteuid()

// maxTreeDepth bounds the walk up from a sender to the worker.
const maxTreeDepth = 64

// sentBy reports whether a notify datagram from pid, running as uid, is
// the worker's, as systemd's NotifyAccess=all decides with a unit's
// cgroup: the worker itself or a process it started (its cgroup's, when it
// has one of its own, or a descendant by the parent chain), running as
// poold's user or root.
func (p *process) sentBy(pid, uid int) bool {
	switch {
	case uid != ownUID && uid != 0:
		return false
	case pid == p.pid:
		return true
	case pid <= 1:
		return false
	case p.cgroup != nil && inCgroup(pid, p.cgroup.Path()):
		return true
	}
	return descends(pid, p.pid)
}

// descends reports whether pid is a descendant of ancestor, by the parent
// chain in /proc. A sender that has exited and was reaped is not.
func descends(pid, ancestor int) bool {
	for range maxTreeDepth {
		ppid, err := procstat.Parent(pid)
		switch {
		case err != nil || ppid <= 1:
			return false
		case ppid == ancestor:
			return true
		}
		pid = ppid
	}
	return false
}

// inCgroup reports whether pid is in the cgroup at path (of the unified
// hierarchy) or one below it.
func inCgroup(pid int, path string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p == path || strings.HasPrefix(p, strings.TrimSuffix(path, "/")+"/")
		}
	}
	return false
}
