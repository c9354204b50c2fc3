package cgroup

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// mount is one line of /proc/self/mountinfo, paths unescaped.
type mount struct {
	root   string   // field 4: root of the mount within its filesystem
	point  string   // field 5: mount point
	fstype string   // after the " - " separator
	super  []string // super options, e.g. "rw", "cpu", "cpuacct"
}

func parseMountinfo(s string) ([]mount, error) {
	var ms []mount
	for i, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		m, err := parseMountLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// parseMountLine parses
// "36 35 98:0 /root /point rw,noatime master:1 - cgroup cgroup rw,cpu".
func parseMountLine(line string) (mount, error) {
	pre, post, ok := strings.Cut(line, " - ")
	f, g := strings.Fields(pre), strings.Fields(post)
	if !ok || len(f) < 6 || len(g) < 2 || !strings.HasPrefix(f[3], "/") {
		return mount{}, fmt.Errorf("got %q, want ID PARENT MAJ:MIN ROOT POINT OPTIONS... - FSTYPE SOURCE SUPER", line)
	}
	m := mount{root: unescape(f[3]), point: unescape(f[4]), fstype: g[0]}
	if len(g) > 2 {
		m.super = strings.Split(g[2], ",")
	}
	return m, nil
}

// unescape undoes the kernel's octal escapes of space, tab, newline and
// backslash in mountinfo paths ("/a\040b" is "/a b").
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// findMount returns the first mount of the given version carrying c (v1) or
// the unified hierarchy (v2) whose root contains cgroup. A cgroup outside
// the mount's root ("/.." under a cgroup namespace) cannot be reached.
func findMount(mounts []mount, version int, c controller, cgroup string) (hierarchy, bool) {
	if hasPathPrefix(cgroup, "/..") {
		return hierarchy{}, false
	}
	for _, m := range mounts {
		if !carries(m, version, c) || !hasPathPrefix(cgroup, m.root) {
			continue
		}
		return hierarchy{version: version, mountRoot: m.root, point: m.point, cgroup: cgroup}, true
	}
	return hierarchy{}, false
}

func carries(m mount, version int, c controller) bool {
	if version == 2 {
		return m.fstype == "cgroup2"
	}
	return m.fstype == "cgroup" && slices.Contains(m.super, c.String())
}
