package procfs

import (
	"os"
	"strconv"
	"strings"
)

// Unit is the systemd unit whose cgroup pid is in, as sd_pid_get_unit(3)
// finds it: the first component of its cgroup path, below the slices, that
// names a unit ("/system.slice/ssh.service" is ssh.service). It is "" when
// /proc does not tell (another user's process, or no cgroup below the
// root, as in a container without systemd).
func Unit(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return ""
	}
	return UnitOfCgroup(string(data))
}

// UnitOfCgroup finds the unit in the content of a /proc/PID/cgroup file:
// from the unified hierarchy's line ("0::/..."), else from the named
// systemd hierarchy's of cgroup v1 ("1:name=systemd:/..."). Where both
// are, only the one systemd tracks processes in names a unit: the other
// says "/" (a container on the unified hierarchy of a hybrid host).
func UnitOfCgroup(content string) string {
	var unified, named string
	for line := range strings.Lines(content) {
		line = strings.TrimSpace(line)
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			unified = p
		}
		if _, p, ok := strings.Cut(line, ":name=systemd:"); ok {
			named = p
		}
	}
	if unit := unitOfPath(unified); unit != "" {
		return unit
	}
	return unitOfPath(named)
}

// unitSuffixes are the unit types a process can run in.
var unitSuffixes = []string{".service", ".scope", ".socket", ".mount", ".swap"}

func unitOfPath(path string) string {
	for c := range strings.SplitSeq(path, "/") {
		if c == "" || strings.HasSuffix(c, ".slice") {
			continue
		}
		for _, s := range unitSuffixes {
			if strings.HasSuffix(c, s) && len(c) > len(s) {
				return c
			}
		}
		return ""
	}
	return ""
}

// Comm is the process's name as the kernel keeps it (comm, at most 15
// bytes), or "" when /proc does not tell.
func Comm(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

// Parent is the PID of pid's parent, 0 when /proc does not tell.
func Parent(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// HasAncestor reports whether a process called comm is among pid's
// ancestors, up to PID 1 or 64 generations.
func HasAncestor(pid int, comm string) bool {
	for range 64 {
		pid = Parent(pid)
		if pid <= 1 {
			return false
		}
		if Comm(pid) == comm {
			return true
		}
	}
	return false
}
