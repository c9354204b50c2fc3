package activation

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// somaxconn is the kernel's cap on a backlog.
func somaxconn(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// listenAgain is what a worker does with its copy of a pool socket.
func listenAgain(t *testing.T, s Socket, backlog int) {
	t.Helper()
	if err := control(s, func(fd int) { unix.Listen(fd, backlog) }); err != nil {
		t.Fatal(err)
	}
}

// A worker's listen(2) on a pool socket shrinks the socket's backlog;
// RestoreBacklog puts back the one the socket was made with.
func TestRestoreBacklogUndoesAWorkersListen(t *testing.T) {
	want := min(unix.SOMAXCONN, somaxconn(t))
	s := mustBind(t, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})[0]
	listenAgain(t, s, 511)
	before, after, err := RestoreBacklog(s)
	if err != nil || before != 511 || after != want {
		t.Errorf("RestoreBacklog = %d, %d, %v; want 511, %d", before, after, err, want)
	}

	u := mustBind(t, ListenSpec{Network: "unix", Address: t.TempDir() + "/x.sock"})[0]
	listenAgain(t, u, 7)
	if _, _, err := RestoreBacklog(u); err != nil {
		t.Errorf("RestoreBacklog of a unix socket: %v", err)
	}
}

// A TCP socket from systemd keeps the backlog it came with (the unit's
// Backlog=), and so do its replicas.
func TestSocketKeepsTheBacklogItCameWith(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 100); err != nil {
		t.Fatal(err)
	}
	s, err := takeFD(fd, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer s.File.Close()
	r, err := Replicate(s)
	if err != nil {
		t.Fatal(err)
	}
	defer r.File.Close()
	for _, sock := range []Socket{s, r} {
		listenAgain(t, sock, 511)
		if before, after, err := RestoreBacklog(sock); err != nil || before != 511 || after != 100 {
			t.Errorf("RestoreBacklog = %d, %d, %v; want 511, 100", before, after, err)
		}
	}
}
