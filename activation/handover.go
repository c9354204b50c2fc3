package activation

import (
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Adopt wraps a listening socket that a poold handed over across the exec
// of its successor (an upgrade in place), with the name and backlog it
// had: the socket owns fd from then on, close-on-exec.
func Adopt(fd int, name string, backlog int) (Socket, error) {
	s, err := newSocket(fd, name)
	if err != nil {
		return Socket{}, err
	}
	if backlog > 0 {
		s.Backlog = backlog
	}
	return s, nil
}

// Environ is the environment that makes the Notifier of a poold that
// execs in this process (an upgrade in place) the same as this one:
// NewNotifier took these variables out of the environment.
func (n *Notifier) Environ(pid int) []string {
	if !n.Enabled() {
		return nil
	}
	env := []string{"NOTIFY_SOCKET=" + n.socket}
	if n.watchdog > 0 {
		env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(int64(n.watchdog/time.Microsecond), 10),
			"WATCHDOG_PID="+strconv.Itoa(pid))
	}
	return env
}

// MainPID tells systemd that pid, this process, is the service's main
// process: "MAINPID=", "READY=1" when ready, plus "STATUS=status" unless
// status is empty. An upgrade in place ends with it: the PID is the same,
// but systemd hears it from the new binary.
func (n *Notifier) MainPID(pid int, ready bool, status string) error {
	msg := "MAINPID=" + strconv.Itoa(pid) + "\n"
	if ready {
		msg += daemon.SdNotifyReady + "\n"
	}
	return n.send(msg + statusLine(status))
}
