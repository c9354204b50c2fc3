package activation

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary re-executes itself as a helper process, selected by
// helperEnv, like os/exec's helperCommands: FromEnvironment must run in a
// process that received fds and whose pid LISTEN_PID names.
const helperEnv = "POOLD_ACTIVATION_TEST_HELPER"

var helpers = map[string]func() error{
	"from-environment": helperFromEnvironment,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		if err := helpers[name](); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", name, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperReport is what the from-environment helper prints as JSON.
type helperReport struct {
	Err     string            `json:",omitempty"`
	Sockets []socketReport    `json:",omitempty"`
	Stored  []socketReport    `json:",omitempty"` // Passed.Stored
	Reject  []string          `json:",omitempty"` // Passed.Rejected
	FDs     map[int]string    // state of the fds 3.. the helper was given: "closed", "cloexec", "inherit"
	Env     map[string]string `json:",omitempty"` // LISTEN_* still set after FromEnvironment
}

type socketReport struct {
	Name, Network, Addr string
	FD                  int
	NonBlock            bool // O_NONBLOCK after FromEnvironment
	Polled              bool // File is in Go's netpoller
	Accepted            bool // accepted the connection the test made before starting the helper
}

// helperFromEnvironment calls FromEnvironment and reports the result.
// HELPER_LISTEN_PID=self emulates systemd, which sets LISTEN_PID to the
// service's pid between fork and exec: exec.Cmd cannot know the pid before.
// HELPER_NFDS is how many fds the test passed; HELPER_ACCEPT=1 accepts one
// connection on each socket.
func helperFromEnvironment() error {
	if os.Getenv("HELPER_LISTEN_PID") == "self" {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	passed, err := FromEnvironment()
	var r helperReport
	if err != nil {
		r.Err = err.Error()
	}
	accept := os.Getenv("HELPER_ACCEPT") == "1"
	for _, s := range passed.Sockets {
		sr, err := reportSocket(s, accept)
		if err != nil {
			return err
		}
		r.Sockets = append(r.Sockets, sr)
	}
	for _, s := range passed.Stored {
		sr, err := reportSocket(s, accept)
		if err != nil {
			return err
		}
		r.Stored = append(r.Stored, sr)
	}
	for _, err := range passed.Rejected {
		if err.Name == "" {
			return errors.New("rejected fd without a name")
		}
		r.Reject = append(r.Reject, err.Error())
	}
	nfds, _ := strconv.Atoi(os.Getenv("HELPER_NFDS"))
	r.FDs = fdStates(nfds)
	for _, k := range listenEnv {
		if v, ok := os.LookupEnv(k); ok {
			mapSet(&r.Env, k, v)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func reportSocket(s Socket, accept bool) (socketReport, error) {
	fd := int(s.File.Fd())
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return socketReport{}, err
	}
	r := socketReport{Name: s.Name, Network: s.Network, Addr: s.Addr, FD: fd,
		NonBlock: flags&unix.O_NONBLOCK != 0, Polled: inNetpoller(s.File)}
	if accept {
		if err := acceptOne(fd); err != nil {
			return socketReport{}, fmt.Errorf("accept on %s: %w", s.Addr, err)
		}
		r.Accepted = true
	}
	return r, nil
}

// acceptOne accepts a pending connection on a listening fd, waiting for it
// at most 10 s so that a broken test fails rather than hangs.
func acceptOne(fd int) error {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 10_000)
	for errors.Is(err, unix.EINTR) { // the Go runtime's preemption signals; a hang ends at the test timeout
		n, err = unix.Poll(pfd, 10_000)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("no connection within 10s")
	}
	conn, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	if err != nil {
		return err
	}
	return unix.Close(conn)
}

func fdStates(n int) map[int]string {
	states := make(map[int]string, n)
	for fd := listenFDsStart; fd < listenFDsStart+n; fd++ {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		switch {
		case err != nil:
			states[fd] = "closed"
		case flags&unix.FD_CLOEXEC != 0:
			states[fd] = "cloexec"
		default:
			states[fd] = "inherit"
		}
	}
	return states
}

func mapSet(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
}

// inNetpoller reports whether f is pollable: only those take deadlines.
func inNetpoller(f *os.File) bool {
	return !errors.Is(f.SetDeadline(time.Time{}), os.ErrNoDeadline)
}
