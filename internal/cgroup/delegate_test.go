package cgroup

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	v2Mount     = "30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
	hybridMount = "31 22 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n" +
		"32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n" +
		"35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:7 - cgroup cgroup rw,memory\n"
)

// fakeRoot writes a tree: /proc/self/cgroup, /proc/self/mountinfo and the
// given files, paths relative to the root.
func fakeRoot(t *testing.T, procCgroup, mountinfo string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{"proc/self/cgroup": procCgroup, "proc/self/mountinfo": mountinfo}
	for k, v := range files {
		all[k] = v
	}
	for name, content := range all {
		write(t, root, name, content)
	}
	return root
}

// serviceFiles are the core files of a non-root v2 cgroup at dir.
func serviceFiles(dir, controllers string) map[string]string {
	return map[string]string{
		dir + "/cgroup.controllers": controllers + "\n", dir + "/cgroup.events": "populated 1\nfrozen 0\n",
		dir + "/cgroup.procs": "1234\n", dir + "/cgroup.subtree_control": "\n",
	}
}

func TestDetectFrom(t *testing.T) {
	const svc = "sys/fs/cgroup/system.slice/web.service"
	tests := []struct {
		name       string
		proc       string
		mountinfo  string
		files      map[string]string
		mode       Mode
		delegated  bool
		want       Delegation // Dir relative to the root
		wantReason string     // substring, when not usable
	}{
		{
			name: "v2 delegated", proc: "0::/system.slice/web.service\n", mountinfo: v2Mount,
			files: serviceFiles(svc, "cpuset cpu io memory pids"), mode: ModeAuto, delegated: true,
			want: Delegation{Usable: true, Delegated: true, Dir: svc, Path: "/system.slice/web.service",
				Controllers: []string{"cpuset", "cpu", "io", "memory", "pids"}},
		},
		{
			name: "v2 not delegated", proc: "0::/system.slice/web.service\n", mountinfo: v2Mount,
			files: serviceFiles(svc, "cpu memory pids"), mode: ModeAuto,
			wantReason: "not delegated (Delegate=yes in the unit, or --worker-cgroups=on)",
		},
		{
			name: "v2 not delegated, on", proc: "0::/system.slice/web.service\n", mountinfo: v2Mount,
			files: serviceFiles(svc, "memory"), mode: ModeOn,
			want: Delegation{Usable: true, Dir: svc, Path: "/system.slice/web.service", Controllers: []string{"memory"}},
		},
		{
			name: "off", proc: "0::/system.slice/web.service\n", mountinfo: v2Mount,
			files: serviceFiles(svc, "memory"), mode: ModeOff, delegated: true, wantReason: "off (--worker-cgroups=off)",
		},
		{
			name: "hybrid delegated, no controllers", proc: "4:memory:/system.slice/web.service\n0::/system.slice/web.service\n",
			mountinfo: hybridMount, files: serviceFiles("sys/fs/cgroup/unified/system.slice/web.service", ""), mode: ModeAuto, delegated: true,
			want: Delegation{Usable: true, Delegated: true, Dir: "sys/fs/cgroup/unified/system.slice/web.service",
				Path: "/system.slice/web.service", Controllers: []string{}},
		},
		{
			name: "v1 only", proc: "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
			mountinfo: "35 22 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", mode: ModeOn, wantReason: "cgroup v1",
		},
		{
			name: "v2 not mounted", proc: "4:memory:/\n0::/\n", mountinfo: "35 22 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
			mode: ModeOn, wantReason: "cgroup v1 (no cgroup2 filesystem mounted)",
		},
		{
			name: "root cgroup", proc: "0::/\n", mountinfo: v2Mount, mode: ModeOn,
			files:      map[string]string{"sys/fs/cgroup/cgroup.procs": "1\n", "sys/fs/cgroup/cgroup.controllers": "memory\n"},
			wantReason: "root cgroup",
		},
		{
			name: "outside the namespace", proc: "0::/../../system.slice/x.service\n", mountinfo: v2Mount, mode: ModeOn,
			wantReason: "outside its cgroup namespace",
		},
		{name: "no cgroups", mode: ModeAuto, wantReason: "no cgroup filesystem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeRoot(t, tt.proc, tt.mountinfo, tt.files)
			var asked string
			got := DetectFrom(root, tt.mode, func(dir string) bool { asked = dir; return tt.delegated })
			if tt.wantReason != "" {
				if got.Usable || !strings.Contains(got.Reason, tt.wantReason) {
					t.Fatalf("got %+v; want unusable, reason %q", got, tt.wantReason)
				}
				return
			}
			if asked != filepath.Join(root, tt.want.Dir) {
				t.Errorf("asked whether %q is delegated; want %q", asked, filepath.Join(root, tt.want.Dir))
			}
			tt.want.Dir = filepath.Join(root, tt.want.Dir)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{ModeAuto, ModeOn, ModeOff} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("yes"); err == nil || !strings.Contains(err.Error(), "want auto, on or off") {
		t.Errorf("ParseMode(yes): %v", err)
	}
}
