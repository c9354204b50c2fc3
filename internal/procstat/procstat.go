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
	data, err := os.ReadFile(path)
	if err != nil {
		return Sample{}, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after its last ')'.
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return Sample{}, fmt.Errorf("%s: no command name", path)
	}
	fields := bytes.Fields(data[end+1:])
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
