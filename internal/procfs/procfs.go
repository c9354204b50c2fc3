// Package procfs finds processes by what /proc says of them: the sockets
// they hold, their command line and their environment. Reads race with
// the processes: one that exits or execs meanwhile is skipped or read as it
// is then, and a process of another user is skipped unless poold runs as
// root (its fd table and environment are private).
package procfs

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// PIDs lists the processes in /proc.
func PIDs() []int {
	entries, _ := os.ReadDir("/proc")
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// SocketInode reads a /proc/PID/fd link, "socket:[INODE]".
func SocketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64)
	return ino, err == nil
}

// HoldsSocket reports whether pid has an fd on one of the sockets inodes.
func HoldsSocket(pid int, inodes map[uint64]bool) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + fd.Name())
		if ino, ok := SocketInode(link); err == nil && ok && inodes[ino] {
			return true
		}
	}
	return false
}

// SocketHolders returns the processes that hold one of inodes.
func SocketHolders(inodes map[uint64]bool) []int {
	var pids []int
	for _, pid := range PIDs() {
		if HoldsSocket(pid, inodes) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Cmdline is pid's command line, its arguments joined by spaces; "" for a
// kernel thread or a process gone.
func Cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(bytes.TrimRight(bytes.ReplaceAll(b, []byte{0}, []byte{' '}), " "))
}

// Getenv returns the values of keys in pid's environment as it was at its
// exec (or as its parent's, before one), "" for a key it lacks; ok is false
// when the environment cannot be read.
func Getenv(pid int, keys ...string) (values []string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil, false
	}
	values = make([]string, len(keys))
	for kv := range bytes.SplitSeq(b, []byte{0}) {
		k, v, _ := bytes.Cut(kv, []byte{'='})
		for i, key := range keys {
			if string(k) == key {
				values[i] = string(v)
			}
		}
	}
	return values, true
}
