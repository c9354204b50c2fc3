package privatebus

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// writePID records the daemon's PID and start time in dir for KillStale.
func writePID(dir string, pid int) error {
	start, err := startTime(pid)
	if err != nil {
		return fmt.Errorf("record dbus-daemon pid: %w", err)
	}
	b := fmt.Appendf(nil, "%d %d\n", pid, start)
	if err := os.WriteFile(filepath.Join(dir, pidName), b, 0o644); err != nil {
		return fmt.Errorf("record dbus-daemon pid: %w", err)
	}
	return nil
}

// KillStale kills the dbus-daemon Start or StartConfig ran in dir, if it
// still runs, and waits a few seconds for it to exit. The sweep of stale
// runtime directories calls it for the buses of poolds that died without
// stopping theirs (Pdeathsig is a best effort). It kills only a process that
// has the recorded PID, the recorded start time and dir's configuration on
// its command line, checked after a pidfd pinned it; a PID recorded in
// another PID namespace matches nothing here and is left alone.
func KillStale(dir string) (killed bool, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return false, fmt.Errorf("stale bus: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, pidName))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stale bus: %w", err)
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(string(b), "%d %d", &pid, &start); err != nil || pid <= 0 {
		return false, fmt.Errorf("stale bus: %s: bad content %q", pidName, b)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stale bus: pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	// From here on fd is that process, whatever gets its PID later: if the
	// check passes, the signal goes to the daemon.
	if !isDaemon(pid, start, filepath.Join(dir, ConfigName)) {
		return false, nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return false, nil
		}
		return false, fmt.Errorf("stale bus: kill %d: %w", pid, err)
	}
	waitExit(fd, 5000)
	return true, nil
}

// isDaemon reports whether pid is the dbus-daemon started at start (clock
// ticks after boot) with the configuration conf.
func isDaemon(pid int, start uint64, conf string) bool {
	if got, err := startTime(pid); err != nil || got != start || start == 0 {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00")
	return slices.Contains(args, "--config-file="+conf)
}

// startTime is field 22 of /proc/PID/stat: the process's start time.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	fields := strings.Fields(string(b[i+1:]))
	if i < 0 || len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64) // fields[0] is field 3
}

// waitExit waits up to timeoutMS for the process of pidfd to exit.
func waitExit(pidfd, timeoutMS int) {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, timeoutMS)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}
