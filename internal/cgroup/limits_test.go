package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFrom(t *testing.T) {
	tests := []struct {
		give    string // fixture under testdata/
		want    Limits
		wantErr string // substring; "" = no error
	}{
		{
			give: "v2-container",
			want: Limits{
				Version: 2, Path: "/",
				CPUQuota: 1.5, QuotaSource: "cpu.max in /",
				AllowedCPUs: 8, CPUSetCPUs: 8,
				MemoryMax: 1 << 30, MemorySource: "memory.max in /",
			},
		},
		{
			give: "v2-systemd", // the slice is tighter than the service
			want: Limits{
				Version: 2, Path: "/system.slice/app.service",
				CPUQuota: 2, QuotaSource: "cpu.max in /system.slice",
				AllowedCPUs: 8, CPUSetCPUs: 6,
				MemoryMax: 2 << 30, MemorySource: "memory.max in /system.slice",
				MemoryHigh: 1536 << 20, MemoryHighSource: "memory.high in /system.slice",
			},
		},
		{
			give: "v2-mountroot", // root field stripped, escaped mount point, decoy mount
			want: Limits{
				Version: 2, Path: "/system.slice/x.service",
				CPUQuota: 0.5, QuotaSource: "cpu.max in /system.slice/x.service",
				AllowedCPUs: 4,
			},
		},
		{
			give: "v2-nolimits",
			want: Limits{Version: 2, Path: "/user.slice/user-1000.slice/session-2.scope", AllowedCPUs: 8},
		},
		{
			give: "v1", // leaf memory is the huge "unlimited" value, the parent is not
			want: Limits{
				Version: 1, Path: "/docker/abc",
				CPUQuota: 2.5, QuotaSource: "cpu.cfs_quota_us in /docker/abc",
				AllowedCPUs: 8, CPUSetCPUs: 4,
				MemoryMax: 512 << 20, MemorySource: "memory.limit_in_bytes in /docker",
			},
		},
		{
			give: "hybrid", // v1 wins over the cpu.max planted in the unified tree
			want: Limits{
				Version: 1, Path: "/user.slice",
				CPUQuota: 1, QuotaSource: "cpu.cfs_quota_us in /user.slice",
				AllowedCPUs: 4, CPUSetCPUs: 4,
				MemoryMax: 256 << 20, MemorySource: "memory.limit_in_bytes in /user.slice",
			},
		},
		{give: "none-unmounted", want: Limits{AllowedCPUs: 4}},
		{give: "none-noproc", want: Limits{}},
		{give: "bad-cpumax", wantErr: "sys/fs/cgroup/app.service/cpu.max: got \"lots 100000\""},
		{give: "bad-memorymax", wantErr: "sys/fs/cgroup/memory.max: got \"1G\""},
		{give: "bad-cfsquota", wantErr: "cpu/cpu.cfs_quota_us: got \"0\""},
		{give: "bad-cfsperiod", wantErr: "cpu/cpu.cfs_period_us: missing"},
		{give: "bad-cpuset", wantErr: "cpuset.cpus.effective: parse CPU list"},
		{give: "bad-proccgroup", wantErr: "proc/self/cgroup: line 1"},
		{give: "bad-mountinfo", wantErr: "proc/self/mountinfo: line 1"},
		{give: "bad-status", wantErr: "proc/self/status: parse CPU list"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ReadFrom(filepath.Join("testdata", tt.give))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadFrom() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFrom() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("ReadFrom() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestReadFromUnreadable checks that a cgroup file that exists but cannot be
// read is an error naming it, not a missing controller.
func TestReadFromUnreadable(t *testing.T) {
	root := t.TempDir()
	write(t, root, "proc/self/cgroup", "0::/\n")
	write(t, root, "proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	if err := os.MkdirAll(filepath.Join(root, "sys/fs/cgroup/cpu.max"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFrom(root)
	if err == nil || !strings.Contains(err.Error(), "cpu.max") {
		t.Fatalf("ReadFrom() error = %v, want one naming cpu.max", err)
	}
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	file := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRead runs against this machine's real /proc and /sys.
func TestRead(t *testing.T) {
	l, err := Read()
	if err != nil {
		t.Fatalf("Read() error = %v", err)
	}
	if l.Version < 0 || l.Version > 2 {
		t.Errorf("Read().Version = %d, want 0, 1 or 2", l.Version)
	}
	if l.AllowedCPUs < 1 {
		t.Errorf("Read().AllowedCPUs = %d, want at least 1", l.AllowedCPUs)
	}
	t.Logf("limits: %+v", l)
	t.Logf("sizing: %s", Size(l, 256<<20, 0).Reason)
}

// TestReadFromSize checks the reason line end to end from a fixture.
func TestReadFromSize(t *testing.T) {
	l, err := ReadFrom(filepath.Join("testdata", "v2-systemd"))
	if err != nil {
		t.Fatal(err)
	}
	got := Size(l, 512<<20, 64)
	want := Sizing{
		Workers: 2, By: BoundQuota,
		Reason: "2 workers, limited by CPU quota 2 (cpu.max in /system.slice); 6 CPUs in cpuset; " +
			"memory 1.5 GiB (memory.high in /system.slice) / --worker-memory 512 MiB = 3",
	}
	if got != want {
		t.Errorf("Size() =\n%+v\nwant\n%+v", got, want)
	}
}
