package activation

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// tcpListen is TCP_LISTEN, a listener's tcpi_state (include/net/tcp_states.h).
const tcpListen = 10

// backlogOf reads a TCP listening socket's backlog, what ss(8) shows as
// its Send-Q: TCP_INFO's tcpi_sacked is sk_max_ack_backlog on a listener.
// It is 0 for other sockets, whose backlog cannot be read this way.
func backlogOf(fd int) int {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil || info.State != tcpListen {
		return 0
	}
	return int(info.Sacked)
}

// RestoreBacklog gives s its backlog back, Socket.Backlog, by calling
// listen(2) again on poold's copy: on a socket that listens already it
// only sets the backlog. A worker's own listen(2) on its copy of a pool
// socket sets the socket's backlog for every worker: Node's does, with
// 511, whatever the app asked for. It returns what ss(8) showed before
// and shows after (0 and 0 for a socket that is not TCP), and does
// nothing when s.Backlog is unknown.
func RestoreBacklog(s Socket) (before, after int, err error) {
	if s.Backlog <= 0 {
		return 0, 0, nil
	}
	var lerr error
	err = control(s, func(fd int) {
		before = backlogOf(fd)
		lerr = unix.Listen(fd, s.Backlog)
		after = backlogOf(fd)
	})
	if err == nil && lerr != nil {
		err = os.NewSyscallError("listen", lerr)
	}
	if err != nil {
		return before, after, fmt.Errorf("socket %q (%s): restore its backlog: %w", s.Name, s.Addr, err)
	}
	return before, after, nil
}
