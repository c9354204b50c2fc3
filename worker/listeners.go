package worker

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// firstFD is the fd of the first passed socket (sd_listen_fds(3)).
const firstFD = 3

// Listener is one of the sockets poold (or systemd) passed to the process.
type Listener struct {
	net.Listener
	// Name is the socket's name in LISTEN_FDNAMES: NAME of poold's
	// --listen NAME=ADDR, "listen" for --listen ADDR, the socket unit's
	// FileDescriptorName= under systemd alone.
	Name string
}

// inherited holds the passed sockets' files, taken once: the first call
// unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so that the programs
// this one starts do not take the sockets for theirs.
var inherited struct {
	once  sync.Once
	files []*os.File
	names []string
	err   error
}

// Listeners returns a listener on each socket passed to this process (its
// PID in LISTEN_PID), in fd order, new ones at every call; none, and no
// error, when nothing was passed. Closing one closes this process's copy
// only: the socket stays open for the pool's other workers.
func Listeners() ([]Listener, error) {
	inherited.once.Do(takeInherited)
	if inherited.err != nil {
		return nil, inherited.err
	}
	var ls []Listener
	for i, f := range inherited.files {
		l, err := net.FileListener(f) // a copy of the fd, non-blocking, close-on-exec
		if err != nil {
			closeListeners(ls)
			return nil, fmt.Errorf("socket %q (fd %d): %w", inherited.names[i], firstFD+i, err)
		}
		ls = append(ls, Listener{Listener: l, Name: inherited.names[i]})
	}
	return ls, nil
}

func takeInherited() {
	n, names, err := parseListenEnv(os.Getenv, os.Getpid())
	for _, key := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		os.Unsetenv(key)
	}
	if err != nil {
		inherited.err = err
		return
	}
	for i := range n {
		fd := firstFD + i
		syscall.CloseOnExec(fd)
		inherited.files = append(inherited.files, os.NewFile(uintptr(fd), "LISTEN_FD_"+strconv.Itoa(fd)))
	}
	inherited.names = names
}

// parseListenEnv reads the sd_listen_fds(3) variables: how many sockets
// were passed to the process pid, and their names ("unknown" when
// LISTEN_FDNAMES does not name them all). A LISTEN_PID that is not pid
// means none.
func parseListenEnv(getenv func(string) string, pid int) (int, []string, error) {
	if getenv("LISTEN_PID") != strconv.Itoa(pid) {
		return 0, nil, nil
	}
	n, err := strconv.Atoi(getenv("LISTEN_FDS"))
	if err != nil || n < 0 {
		return 0, nil, fmt.Errorf("LISTEN_FDS=%q: want a count of sockets", getenv("LISTEN_FDS"))
	}
	names := strings.Split(getenv("LISTEN_FDNAMES"), ":")
	if len(names) != n {
		names = make([]string, n)
	}
	for i, name := range names {
		if name == "" {
			names[i] = "unknown"
		}
	}
	return n, names, nil
}

// listenersFor returns the passed sockets, or without any a TCP listener on
// srv.Addr (":http" when empty, as http.Server.ListenAndServe does).
func listenersFor(srv *http.Server) ([]net.Listener, error) {
	passed, err := Listeners()
	if err != nil {
		return nil, err
	}
	if len(passed) == 0 {
		addr := srv.Addr
		if addr == "" {
			addr = ":http"
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	}
	ls := make([]net.Listener, len(passed))
	for i, l := range passed {
		ls[i] = l
	}
	return ls, nil
}

func closeListeners(ls []Listener) {
	for _, l := range ls {
		l.Close()
	}
}
