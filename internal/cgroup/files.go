package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// unlimitedFloor is where byte limits stop being limits: v1 reports "no
// limit" as the largest page-aligned int64 (9223372036854771712 with 4 KiB
// pages, a little less with larger pages).
const unlimitedFloor = 1 << 62

// readValue returns the trimmed content of file; ok is false when the file
// does not exist.
func readValue(file string) (s string, ok bool, err error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err // *fs.PathError names the file
	}
	return strings.TrimSpace(string(b)), true, nil
}

// readParsed reads file and parses it; parse errors name the file.
func readParsed[T any](file string, parse func(string) (T, error)) (v T, ok bool, err error) {
	s, ok, err := readValue(file)
	if err != nil || !ok {
		return v, false, err
	}
	v, err = parse(s)
	if err != nil {
		return v, false, fmt.Errorf("parse %s: %w", file, err)
	}
	return v, true, nil
}

// readAffinity counts the CPUs in Cpus_allowed_list of a /proc/PID/status
// file; 0 when the file or the line is missing.
func readAffinity(file string) (int, error) {
	n, _, err := readParsed(file, parseStatus)
	return n, err
}

func parseStatus(s string) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:")
		if ok {
			return ParseCPUList(v)
		}
	}
	return 0, sc.Err()
}

// parseMemory parses memory.max, memory.high or memory.limit_in_bytes:
// "max" or a byte count, where huge counts mean unlimited (0).
func parseMemory(s string) (int64, error) {
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("got %q, want \"max\" or a byte count", s)
	}
	if n >= unlimitedFloor {
		return 0, nil
	}
	return n, nil
}

// parseCPUMax parses v2 cpu.max, "max 100000" or "150000 100000", into CPUs
// (0 = no quota).
func parseCPUMax(s string) (float64, error) {
	bad := fmt.Errorf("got %q, want \"max PERIOD\" or \"QUOTA PERIOD\" in microseconds", s)
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, bad
	}
	period, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || period <= 0 {
		return 0, bad
	}
	if f[0] == "max" {
		return 0, nil
	}
	quota, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || quota <= 0 {
		return 0, bad
	}
	return float64(quota) / float64(period), nil
}

// parseMicros parses v1 cpu.cfs_quota_us or cpu.cfs_period_us; -1 (no
// quota) gives 0.
func parseMicros(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < -1 || n == 0 {
		return 0, fmt.Errorf("got %q, want -1 or a positive count of microseconds", s)
	}
	if n == -1 {
		return 0, nil
	}
	return n, nil
}
