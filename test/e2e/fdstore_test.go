package e2e

import (
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fdStore plays systemd's fd store on a real notify socket: FDSTORE=1
// keeps the fds passed under FDNAME, FDSTOREREMOVE=1 closes them; the
// fds of any other message (BARRIER=1's pipe) are closed.
type fdStore struct {
	path    string
	changed chan struct{} // a message was handled
	mu      sync.Mutex
	fds     map[string][]*os.File
}

func newFDStore(t *testing.T) *fdStore {
	t.Helper()
	dir, err := os.MkdirTemp("", "e2e-fdstore-") // short: sun_path holds 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &fdStore{path: filepath.Join(dir, "notify"), changed: make(chan struct{}, 1), fds: map[string][]*os.File{}}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.serve(conn) }()
	t.Cleanup(func() {
		conn.Close()
		<-done
		for _, files := range s.fds {
			closeAll(files)
		}
	})
	return s
}

func (s *fdStore) serve(conn *net.UnixConn) {
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(64*4))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		var files []*os.File
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		for _, m := range msgs {
			fds, _ := unix.ParseUnixRights(&m)
			for _, fd := range fds {
				files = append(files, os.NewFile(uintptr(fd), "stored"))
			}
		}
		lines := strings.Split(string(buf[:n]), "\n")
		var name string
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, "FDNAME="); ok {
				name = v
			}
		}
		s.mu.Lock()
		switch {
		case slices.Contains(lines, "FDSTORE=1"):
			s.fds[name] = append(s.fds[name], files...)
			files = nil
		case slices.Contains(lines, "FDSTOREREMOVE=1"):
			closeAll(s.fds[name])
			delete(s.fds, name)
		}
		s.mu.Unlock()
		closeAll(files)
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}
}

// waitHolds waits until the store holds exactly names, one fd each.
func (s *fdStore) waitHolds(t *testing.T, names ...string) {
	t.Helper()
	deadline := time.After(bound)
	for !s.holds(names...) {
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("the store holds %v, want %v", s.names(), names)
		}
	}
}

// holds reports whether the store holds exactly names, one fd each.
func (s *fdStore) holds(names ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fds) != len(names) {
		return false
	}
	for _, name := range names {
		if len(s.fds[name]) != 1 {
			return false
		}
	}
	return true
}

// passed is how systemd starts the service again: the stored fds as fds
// 3.. with their names, and NOTIFY_SOCKET.
func (s *fdStore) passed(t *testing.T, args ...string) spec {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	var files []*os.File
	for _, name := range slices.Sorted(maps.Keys(s.fds)) {
		for _, f := range s.fds[name] {
			names = append(names, name)
			files = append(files, f)
		}
	}
	return spec{
		wrap:   []string{"sh", "-c", `LISTEN_PID=$$ exec "$@"`, "sh"},
		env:    []string{"NOTIFY_SOCKET=" + s.path, "LISTEN_FDS=" + itoa(len(files)), "LISTEN_FDNAMES=" + strings.Join(names, ":")},
		files:  files,
		args:   args,
		helper: "serve",
	}
}

// A poold with no socket unit, killed with its workers, started again by
// "systemd" with what it put in the fd store: it serves on the same
// --listen socket and the same sticky slots' sockets, every client address
// on its slot, and answers the connections that queued on them while no
// poold ran.
func TestKilledPooldTakesItsSocketsBack(t *testing.T) {
	t.Parallel()
	store := newFDStore(t)
	const workers, addrs = 3, 60
	first := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--distribution", "sticky", "--workers", itoa(workers)},
		env:    []string{"NOTIFY_SOCKET=" + store.path},
		helper: "serve",
	})
	addr := first.addr()
	first.waitReady()
	url := "http://" + addr + "/"
	slotsOf := func(when string) []string {
		t.Helper()
		slots := make([]string, addrs)
		for i := range slots {
			a, err := getFrom(url, source(i))
			if err != nil {
				t.Fatalf("%s: request from %s: %v", when, source(i), err)
			}
			slots[i] = a.Slot
		}
		return slots
	}
	before := slotsOf("before the kill")
	store.waitHolds(t, "poold-listen-0", "poold-slot-1", "poold-slot-2")

	// As systemd kills a service whose main process died (KillMode=mixed):
	// poold, then what is left of it.
	first.signal(syscall.SIGKILL)
	first.wait(bound)
	first.logs.killLive()
	if left := first.logs.workersLeft(bound); len(left) > 0 {
		t.Fatalf("workers %v still run after SIGKILL", left)
	}
	// No poold runs: these wait on the stored sockets, the slots' too.
	answers := make(chan error, addrs)
	for i := range addrs {
		go func() {
			a, err := getFrom(url, source(i))
			if err == nil && a.Slot != before[i] {
				err = &slotError{source(i), before[i], a.Slot}
			}
			answers <- err
		}()
	}

	second := start(t, store.passed(t, "--listen", addr, "--distribution", "sticky", "--workers", itoa(workers)))
	second.waitLog(`INF socket taken back from systemd's fd store fd=3 name=listen network=tcp addr=`+addr, bound)
	second.waitLog(`INF distribution: took back the sockets a previous poold kept in systemd's fd store slots=2`, bound)
	second.waitReady()
	for range addrs {
		if err := <-answers; err != nil {
			t.Errorf("a connection made while no poold ran: %v", err)
		}
	}
	sameSlots(t, "after the restart", before, slotsOf("after the restart"))
	if second.sawLog("dropped a socket") {
		t.Errorf("poold dropped a stored socket: %q", second.linesWith("dropped a socket"))
	}
}

type slotError struct{ from, before, after string }

func (e *slotError) Error() string {
	return e.from + " went to slot " + e.before + " before the kill, to " + e.after + " after"
}

func (s *fdStore) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.fds))
}
