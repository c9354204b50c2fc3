package cgroup

import "testing"

func TestSize(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name         string
		give         Limits
		workerMemory int64
		hostCPUs     int
		want         Sizing
	}{
		{
			name:     "quota rounds up",
			give:     Limits{Version: 2, CPUQuota: 1.5, QuotaSource: "cpu.max in /app.service", AllowedCPUs: 8},
			hostCPUs: 64,
			want: Sizing{2, BoundQuota,
				"2 workers, limited by CPU quota 1.5 (cpu.max in /app.service) rounded up; 8 CPUs in affinity"},
		},
		{
			name: "whole quota is not rounded",
			give: Limits{Version: 2, CPUQuota: 3, QuotaSource: "cpu.max in /", AllowedCPUs: 8},
			want: Sizing{3, BoundQuota, "3 workers, limited by CPU quota 3 (cpu.max in /); 8 CPUs in affinity"},
		},
		{
			name: "tiny quota gives one worker",
			give: Limits{Version: 1, CPUQuota: 0.1, QuotaSource: "cpu.cfs_quota_us in /x", AllowedCPUs: 8},
			want: Sizing{1, BoundQuota,
				"1 worker, limited by CPU quota 0.1 (cpu.cfs_quota_us in /x) rounded up; 8 CPUs in affinity"},
		},
		{
			name:     "affinity smaller than quota",
			give:     Limits{Version: 2, CPUQuota: 4, QuotaSource: "cpu.max in /", AllowedCPUs: 2},
			hostCPUs: 64,
			want:     Sizing{2, BoundCPUs, "2 workers, limited by 2 CPUs in affinity; CPU quota 4 (cpu.max in /)"},
		},
		{
			name: "tie goes to CPUs",
			give: Limits{Version: 2, CPUQuota: 4, QuotaSource: "cpu.max in /", AllowedCPUs: 4},
			want: Sizing{4, BoundCPUs, "4 workers, limited by 4 CPUs in affinity; CPU quota 4 (cpu.max in /)"},
		},
		{
			name: "cpuset smaller than affinity",
			give: Limits{Version: 1, AllowedCPUs: 8, CPUSetCPUs: 3},
			want: Sizing{3, BoundCPUs, "3 workers, limited by 3 CPUs in cpuset; no CPU quota"},
		},
		{
			name:         "memory decides",
			give:         Limits{Version: 2, AllowedCPUs: 8, MemoryMax: 1024 * mib, MemorySource: "memory.max in /app.service"},
			workerMemory: 256 * mib,
			want: Sizing{4, BoundMemory,
				"4 workers, limited by memory 1 GiB (memory.max in /app.service) / --worker-memory 256 MiB = 4; " +
					"8 CPUs in affinity; no CPU quota"},
		},
		{
			name: "memory.high preferred when lower",
			give: Limits{Version: 2, AllowedCPUs: 8,
				MemoryMax: 2048 * mib, MemorySource: "memory.max in /",
				MemoryHigh: 768 * mib, MemoryHighSource: "memory.high in /s.slice"},
			workerMemory: 256 * mib,
			want: Sizing{3, BoundMemory,
				"3 workers, limited by memory 768 MiB (memory.high in /s.slice) / --worker-memory 256 MiB = 3; " +
					"8 CPUs in affinity; no CPU quota"},
		},
		{
			name: "memory.high ignored when above memory.max",
			give: Limits{Version: 2, AllowedCPUs: 8,
				MemoryMax: 512 * mib, MemorySource: "memory.max in /",
				MemoryHigh: 1024 * mib, MemoryHighSource: "memory.high in /"},
			workerMemory: 256 * mib,
			want: Sizing{2, BoundMemory,
				"2 workers, limited by memory 512 MiB (memory.max in /) / --worker-memory 256 MiB = 2; " +
					"8 CPUs in affinity; no CPU quota"},
		},
		{
			name:         "memory.high alone",
			give:         Limits{Version: 2, AllowedCPUs: 8, MemoryHigh: 1536 * mib, MemoryHighSource: "memory.high in /"},
			workerMemory: 512 * mib,
			want: Sizing{3, BoundMemory,
				"3 workers, limited by memory 1.5 GiB (memory.high in /) / --worker-memory 512 MiB = 3; " +
					"8 CPUs in affinity; no CPU quota"},
		},
		{
			name:         "never below one",
			give:         Limits{Version: 2, AllowedCPUs: 8, MemoryMax: 100 * mib, MemorySource: "memory.max in /"},
			workerMemory: 256 * mib,
			want: Sizing{1, BoundMinimum,
				"1 worker, the minimum, as memory 100 MiB (memory.max in /) / --worker-memory 256 MiB = 0; " +
					"8 CPUs in affinity; no CPU quota"},
		},
		{
			name: "memory limit without --worker-memory",
			give: Limits{Version: 2, AllowedCPUs: 2, MemoryMax: 1024 * mib, MemorySource: "memory.max in /"},
			want: Sizing{2, BoundCPUs,
				"2 workers, limited by 2 CPUs in affinity; no CPU quota; " +
					"memory 1 GiB (memory.max in /) not used: --worker-memory unset"},
		},
		{
			name:         "--worker-memory without memory limit",
			give:         Limits{Version: 2, AllowedCPUs: 2},
			workerMemory: 256 * mib,
			want: Sizing{2, BoundCPUs,
				"2 workers, limited by 2 CPUs in affinity; no CPU quota; no memory limit for --worker-memory 256 MiB"},
		},
		{
			name:         "no cgroup falls back to affinity, not host",
			give:         Limits{AllowedCPUs: 4},
			workerMemory: 256 * mib,
			hostCPUs:     64,
			want: Sizing{4, BoundCPUs,
				"4 workers, limited by 4 CPUs in affinity; no cgroup found, so no quota or memory limit"},
		},
		{
			name:     "host CPUs only when affinity unknown",
			give:     Limits{},
			hostCPUs: 16,
			want: Sizing{16, BoundHostCPUs,
				"16 workers, limited by 16 host CPUs (affinity unknown); no cgroup found, so no quota or memory limit"},
		},
		{
			name:     "quota caps host CPUs",
			give:     Limits{Version: 2, CPUQuota: 2, QuotaSource: "cpu.max in /"},
			hostCPUs: 64,
			want: Sizing{2, BoundQuota,
				"2 workers, limited by CPU quota 2 (cpu.max in /); 64 host CPUs (affinity unknown)"},
		},
		{
			name: "nothing known",
			give: Limits{},
			want: Sizing{1, BoundHostCPUs,
				"1 worker, limited by unknown CPU count, assuming 1; no cgroup found, so no quota or memory limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Size(tt.give, tt.workerMemory, tt.hostCPUs)
			if got != tt.want {
				t.Errorf("Size() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestBoundString(t *testing.T) {
	tests := []struct {
		give Bound
		want string
	}{
		{BoundCPUs, "CPUs"},
		{BoundHostCPUs, "host CPUs"},
		{BoundQuota, "CPU quota"},
		{BoundMemory, "memory"},
		{BoundMinimum, "minimum"},
		{0, "Bound(0)"},
	}
	for _, tt := range tests {
		if got := tt.give.String(); got != tt.want {
			t.Errorf("Bound(%d).String() = %q, want %q", int(tt.give), got, tt.want)
		}
	}
}
