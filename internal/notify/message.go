package notify

import (
	"strconv"
	"strings"
	"time"
)

// MaxDatagram is the longest datagram accepted, in bytes: systemd's
// NOTIFY_BUFFER_MAX, defined as PIPE_BUF (4096 on Linux). Longer datagrams
// are rejected whole, as systemd does.
const MaxDatagram = 4096

// Message is one parsed notification datagram. Its zero value is an empty
// datagram.
type Message struct {
	Ready, Reloading, Stopping, Watchdog bool
	WatchdogTrigger                      bool // WATCHDOG=trigger

	Status    string // STATUS=; empty with HasStatus clears the status
	HasStatus bool

	MainPID int // MAINPID=, 0 when absent

	// ExtendTimeout is EXTEND_TIMEOUT_USEC=, 0 when absent.
	ExtendTimeout time.Duration
	// WatchdogUSec is WATCHDOG_USEC=, a worker asking to change its watchdog
	// timeout; 0 when absent. HasWatchdogUSec tells an explicit 0 ("disable")
	// from absence.
	//lint:ignore ST1011 named after the WATCHDOG_USEC= key it carries
	WatchdogUSec    time.Duration
	HasWatchdogUSec bool

	Errno    int // ERRNO=
	HasErrno bool

	Barrier bool // BARRIER=1
	FDStore bool // FDSTORE=1 (poold does not keep worker fds; report it)

	Unknown []string // other keys, in order, kept for logs (keys only)
}

// Encode formats m as a datagram that Parse reads back as m: one assignment
// per line, known keys in a fixed order, unknown keys with empty values, and
// no trailing newline. Durations are written in whole microseconds.
func (m Message) Encode() string {
	var lines []string
	flag := func(set bool, line string) {
		if set {
			lines = append(lines, line)
		}
	}
	flag(m.Ready, "READY=1")
	flag(m.Reloading, "RELOADING=1")
	flag(m.Stopping, "STOPPING=1")
	flag(m.HasStatus, "STATUS="+m.Status)
	flag(m.MainPID > 0, "MAINPID="+strconv.Itoa(m.MainPID))
	flag(m.HasErrno, "ERRNO="+strconv.Itoa(m.Errno))
	flag(m.Watchdog, "WATCHDOG=1")
	flag(m.WatchdogTrigger, "WATCHDOG=trigger")
	flag(m.HasWatchdogUSec, "WATCHDOG_USEC="+usec(m.WatchdogUSec))
	flag(m.ExtendTimeout > 0, "EXTEND_TIMEOUT_USEC="+usec(m.ExtendTimeout))
	flag(m.FDStore, "FDSTORE=1")
	flag(m.Barrier, "BARRIER=1")
	for _, k := range m.Unknown {
		lines = append(lines, k+"=")
	}
	return strings.Join(lines, "\n")
}

func usec(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Microsecond), 10)
}
