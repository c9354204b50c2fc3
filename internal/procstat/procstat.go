// Package procstat reads a process's memory and CPU use from /proc.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Linux reports CPU times in clock ticks of USER_HZ, 100 on every
// architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo to ask).
const userHZ = 100

// Sample is one reading.
type Sample struct {
	RSS uint64        // resident set size, bytes
	CPU time.Duration // user + system time
}

// Read samples process pid.
func Read(pid int) (Sample, error) {
	return ReadFrom(fmt.Sprintf("/proc/%d/stat", pid))
}

// ReadFrom parses a /proc/PID/stat file.
func ReadFrom(path string) (Sample, error) {
	fields, err := statFields(path)
	if err != nil {
		return Sample{}, err
	}
	// fields[0] is field 3 (state): utime is field 14, stime 15, rss 24.
	const utime, stime, rss = 14 - 3, 15 - 3, 24 - 3
	if len(fields) <= rss {
		return Sample{}, fmt.Errorf("%s: %d fields, want at least %d", path, len(fields)+2, rss+3)
	}
	var n [3]uint64
	for i, f := range []int{utime, stime, rss} {
		if n[i], err = strconv.ParseUint(string(fields[f]), 10, 64); err != nil {
			return Sample{}, fmt.Errorf("%s: field %d: %w", path, f+3, err)
		}
	}
	ticks := n[0] + n[1]
	return Sample{
		RSS: n[2] * uint64(os.Getpagesize()),
		CPU: time.Duration(ticks) * time.Second / userHZ,
	}, nil
}

// Parent is the parent PID of process pid, 0 for a process without one
// in this PID namespace.
func Parent(pid int) (int, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	fields, err := statFields(path)
	if err != nil {
		return 0, err
	}
	if len(fields) < 2 {
		return 0, fmt.Errorf("%s: no parent PID", path)
	}
	ppid, err := strconv.Atoi(string(fields[1])) // field 4
	if err != nil {
		return 0, fmt.Errorf("%s: field 4: %w", path, err)
	}
	return ppid, nil
}

// statFields are the fields of a /proc/PID/stat file from field 3 on.
func statFields(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after its last ')'.
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return nil, fmt.Errorf("%s: no command name", path)
	}
	return bytes.Fields(data[end+1:]), nil
}
