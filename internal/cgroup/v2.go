package cgroup

import "path/filepath"

// readV2 reads controller c's limits from the unified hierarchy, walking
// from the process's cgroup up to the mount.
func readV2(c controller, h hierarchy, l *Limits) error {
	switch c {
	case cpuController:
		return walk(h, "cpu.max", parseCPUMax, l.tightenQuota)
	case memoryController:
		if err := walk(h, "memory.max", parseMemory, l.tightenMemory); err != nil {
			return err
		}
		return walk(h, "memory.high", parseMemory, l.tightenHigh)
	case cpusetController:
		return walk(h, "cpuset.cpus.effective", ParseCPUList, func(n int, _ string, _ level) {
			l.tightenCPUSet(n)
		})
	}
	return nil
}

// walk reads and parses file at every level of h, leaf first, and hands
// each value to use. Levels without the file are skipped.
func walk[T any](h hierarchy, file string, parse func(string) (T, error), use func(T, string, level)) error {
	for _, lv := range h.levels() {
		v, ok, err := readParsed(filepath.Join(lv.dir, file), parse)
		if err != nil {
			return err
		}
		if ok {
			use(v, file, lv)
		}
	}
	return nil
}
