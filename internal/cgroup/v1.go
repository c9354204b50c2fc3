package cgroup

import (
	"fmt"
	"path/filepath"
)

// readV1 reads controller c's limits from its v1 hierarchy, walking from the
// process's cgroup up to the mount.
func readV1(c controller, h hierarchy, l *Limits) error {
	switch c {
	case cpuController:
		return readV1CPU(h, l)
	case memoryController:
		return walk(h, "memory.limit_in_bytes", parseMemory, l.tightenMemory)
	case cpusetController:
		return walk(h, "cpuset.cpus", ParseCPUList, func(n int, _ string, _ level) {
			l.tightenCPUSet(n)
		})
	}
	return nil
}

// readV1CPU turns cpu.cfs_quota_us ÷ cpu.cfs_period_us into CPUs at every
// level that has a quota; a quota without a period is an error.
func readV1CPU(h hierarchy, l *Limits) error {
	for _, lv := range h.levels() {
		quota, ok, err := readParsed(filepath.Join(lv.dir, "cpu.cfs_quota_us"), parseMicros)
		if err != nil {
			return err
		}
		if !ok || quota == 0 {
			continue
		}
		file := filepath.Join(lv.dir, "cpu.cfs_period_us")
		period, ok, err := readParsed(file, parseMicros)
		if err != nil {
			return err
		}
		if !ok || period == 0 {
			return fmt.Errorf("read %s: missing or -1 beside a quota", file)
		}
		l.tightenQuota(float64(quota)/float64(period), "cpu.cfs_quota_us", lv)
	}
	return nil
}
