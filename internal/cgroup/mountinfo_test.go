package cgroup

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMountLine(t *testing.T) {
	tests := []struct {
		give    string
		want    mount
		wantErr bool
	}{
		{
			give: "30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate",
			want: mount{root: "/", point: "/sys/fs/cgroup", fstype: "cgroup2", super: []string{"rw", "nsdelegate"}},
		},
		{
			give: "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct",
			want: mount{root: "/docker/abc", point: "/sys/fs/cgroup/cpu,cpuacct", fstype: "cgroup",
				super: []string{"rw", "cpu", "cpuacct"}},
		},
		{
			give: `30 22 0:26 /a\040b /mnt/c\134d\011e rw - cgroup2 none rw`,
			want: mount{root: "/a b", point: "/mnt/c\\d\te", fstype: "cgroup2", super: []string{"rw"}},
		},
		{
			give: "23 22 0:5 / /proc rw - proc proc",
			want: mount{root: "/", point: "/proc", fstype: "proc"},
		},
		{give: "30 22 0:26 / /sys/fs/cgroup rw cgroup2 cgroup2 rw", wantErr: true},
		{give: "30 22 / /sys/fs/cgroup - cgroup2 cgroup2 rw", wantErr: true},
		{give: "30 22 0:26 relative /sys/fs/cgroup rw - cgroup2 cgroup2 rw", wantErr: true},
		{give: "30 22 0:26 / /sys/fs/cgroup rw - cgroup2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := parseMountLine(tt.give)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseMountLine() = %+v, want error", got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseMountLine() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ give, want string }{
		{"/plain", "/plain"},
		{`/a\040b`, "/a b"},
		{`/nl\012`, "/nl\n"},
		{`/short\04`, `/short\04`},
		{`/bad\999`, `/bad\999`},
	}
	for _, tt := range tests {
		if got := unescape(tt.give); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestFindMount(t *testing.T) {
	mounts := []mount{
		{root: "/", point: "/proc", fstype: "proc"},
		{root: "/other", point: "/mnt/other", fstype: "cgroup2"},
		{root: "/", point: "/sys/fs/cgroup/cpu,cpuacct", fstype: "cgroup", super: []string{"rw", "cpu", "cpuacct"}},
		{root: "/kubepods", point: "/sys/fs/cgroup/memory", fstype: "cgroup", super: []string{"rw", "memory"}},
		{root: "/", point: "/sys/fs/cgroup/unified", fstype: "cgroup2"},
	}
	tests := []struct {
		name    string
		version int
		ctrl    controller
		cgroup  string
		want    hierarchy
		wantOK  bool
	}{
		{"v2 skips a mount of another subtree", 2, cpuController, "/user.slice",
			hierarchy{2, "/", "/sys/fs/cgroup/unified", "/user.slice"}, true},
		{"v2 matches a mount rooted at the cgroup", 2, cpuController, "/other",
			hierarchy{2, "/other", "/mnt/other", "/other"}, true},
		{"v2 rejects a prefix that is not a path prefix", 2, cpuController, "/otherness",
			hierarchy{2, "/", "/sys/fs/cgroup/unified", "/otherness"}, true},
		{"v1 needs the controller in super options", 1, cpuController, "/docker/abc",
			hierarchy{1, "/", "/sys/fs/cgroup/cpu,cpuacct", "/docker/abc"}, true},
		{"v1 under the mount root", 1, memoryController, "/kubepods/pod1",
			hierarchy{1, "/kubepods", "/sys/fs/cgroup/memory", "/kubepods/pod1"}, true},
		{"v1 outside the mount root", 1, memoryController, "/system.slice", hierarchy{}, false},
		{"v1 controller not mounted", 1, cpusetController, "/", hierarchy{}, false},
		{"outside the cgroup namespace", 2, cpuController, "/../../init", hierarchy{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := findMount(mounts, tt.version, tt.ctrl, tt.cgroup)
			if ok != tt.wantOK || got != tt.want {
				t.Fatalf("findMount() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		give hierarchy
		want []level
	}{
		{
			give: hierarchy{2, "/", "/r/cg", "/a/b"},
			want: []level{{"/r/cg/a/b", "/a/b"}, {"/r/cg/a", "/a"}, {"/r/cg", "/"}},
		},
		{
			give: hierarchy{2, "/a", "/r/cg", "/a/b"},
			want: []level{{"/r/cg/b", "/a/b"}, {"/r/cg", "/a"}},
		},
		{
			give: hierarchy{2, "/a/b", "/r/cg", "/a/b"},
			want: []level{{"/r/cg", "/a/b"}},
		},
		{
			give: hierarchy{2, "/", "/r/cg", "/"},
			want: []level{{"/r/cg", "/"}},
		},
	}
	for _, tt := range tests {
		if got := tt.give.levels(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v.levels() = %+v, want %+v", tt.give, got, tt.want)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		give    string
		want    procCgroups
		wantErr string
	}{
		{
			give: "0::/system.slice/app.service\n",
			want: procCgroups{unified: "/system.slice/app.service", v1: map[string]string{}},
		},
		{
			give: "4:memory:/m\n3:cpu,cpuacct:/c\n1:name=systemd:/s\n0::/\n",
			want: procCgroups{unified: "/", v1: map[string]string{
				"memory": "/m", "cpu": "/c", "cpuacct": "/c", "name=systemd": "/s"}},
		},
		{
			give: "0::/with:colon\n",
			want: procCgroups{unified: "/with:colon", v1: map[string]string{}},
		},
		{give: "garbage\n", wantErr: "line 1"},
		{give: "0::/\n1:cpu:relative\n", wantErr: "line 2"},
		{give: ":cpu:/\n", wantErr: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := parseProcCgroup(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseProcCgroup() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseProcCgroup() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
