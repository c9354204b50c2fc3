// Package fdstoretest plays systemd's fd store for tests, on a real
// notify socket: FDSTORE=1 keeps the fds passed under their FDNAME,
// FDSTOREREMOVE=1 closes them, and the fds of any other message (the pipe
// of BARRIER=1) are closed once it is read, as systemd does.
package fdstoretest

import (
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poold/poold/activation"
	"golang.org/x/sys/unix"
)

// Store is a fake systemd's fd store.
type Store struct {
	// Path is the notify socket: NOTIFY_SOCKET for the code under test.
	Path    string
	changed chan struct{} // a message was handled
	mu      sync.Mutex
	fds     map[string][]*os.File
}

// Listen starts a store on a socket in a new directory, closed with
// everything it holds when the test ends.
func Listen(t *testing.T) *Store {
	t.Helper()
	dir, err := os.MkdirTemp("", "fdstore-") // short: sun_path holds 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Store{Path: filepath.Join(dir, "notify"), changed: make(chan struct{}, 1), fds: map[string][]*os.File{}}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.Path, Net: "unixgram"})
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

func (s *Store) serve(conn *net.UnixConn) {
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(64*4))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		s.handle(strings.Split(string(buf[:n]), "\n"), received(oob[:oobn]))
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}
}

// received are the fds a message carried, as files.
func received(oob []byte) []*os.File {
	var files []*os.File
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		fds, _ := unix.ParseUnixRights(&m)
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "stored"))
		}
	}
	return files
}

func (s *Store) handle(lines []string, files []*os.File) {
	var name string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "FDNAME="); ok {
			name = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case slices.Contains(lines, "FDSTORE=1"):
		s.fds[name] = append(s.fds[name], files...)
		return
	case slices.Contains(lines, "FDSTOREREMOVE=1"):
		closeAll(s.fds[name])
		delete(s.fds, name)
	}
	closeAll(files)
}

// Holds reports the names the store holds fds under, with their number.
func (s *Store) Holds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for name, files := range s.fds {
		m[name] = len(files)
	}
	return m
}

// WaitHolds waits up to within until the store holds want.
func (s *Store) WaitHolds(t *testing.T, within time.Duration, want map[string]int) {
	t.Helper()
	deadline := time.After(within)
	for !maps.Equal(s.Holds(), want) {
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("the fd store holds %v, want %v", s.Holds(), want)
		}
	}
}

// Passed is what systemd passes the service it starts again: a copy of
// each stored fd, ordered by name, and the names, closed when the test
// ends.
func (s *Store) Passed(t *testing.T) (files []*os.File, names []string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(s.fds)) {
		for _, f := range s.fds[name] {
			fd, err := activation.DupFD(f)
			if err != nil {
				t.Fatal(err)
			}
			dup := os.NewFile(uintptr(fd), name)
			t.Cleanup(func() { dup.Close() })
			files, names = append(files, dup), append(names, name)
		}
	}
	return files, names
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
