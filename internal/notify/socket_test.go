package notify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/testbound"
)

// socketPath returns a fresh socket path short enough for sun_path.
func socketPath(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "n.sock")
	if len(p) < 100 {
		return p
	}
	dir, err := os.MkdirTemp("", "nt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "n.sock")
}

// listen opens a Socket that is closed when the test ends.
func listen(t *testing.T, path string) *Socket {
	t.Helper()
	s, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // a second Close only reports ErrClosed
	return s
}

func receive(t *testing.T, s *Socket) Datagram {
	t.Helper()
	d, err := s.Receive()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSendReceive(t *testing.T) {
	s := listen(t, socketPath(t))
	if err := Send(s.Path(), "READY=1\nSTATUS=Serving 12 req/s"); err != nil {
		t.Fatal(err)
	}
	d := receive(t, s)
	if d.Err != nil {
		t.Errorf("Err = %v", d.Err)
	}
	want := Message{Ready: true, Status: "Serving 12 req/s", HasStatus: true}
	if !reflect.DeepEqual(d.Message, want) {
		t.Errorf("Message = %+v, want %+v", d.Message, want)
	}
	if d.PID != os.Getpid() || d.UID != os.Getuid() || d.GID != os.Getgid() {
		t.Errorf("creds = %d/%d/%d, want %d/%d/%d", d.PID, d.UID, d.GID, os.Getpid(), os.Getuid(), os.Getgid())
	}
	if string(d.Raw) != "READY=1\nSTATUS=Serving 12 req/s" || d.FDs != 0 {
		t.Errorf("Raw = %q, FDs = %d", d.Raw, d.FDs)
	}
}

func TestReceiveParseErrorKeepsSocket(t *testing.T) {
	s := listen(t, socketPath(t))
	for _, state := range []string{"READY=2\nSTATUS=x", "STOPPING=1"} {
		if err := Send(s.Path(), state); err != nil {
			t.Fatal(err)
		}
	}
	d := receive(t, s)
	checkErrs(t, d.Err, []wantErr{{1, "READY", ErrInvalidValue}})
	if !d.Message.HasStatus || d.Message.Status != "x" {
		t.Errorf("Message = %+v, want the valid STATUS kept", d.Message)
	}
	if d = receive(t, s); d.Err != nil || !d.Message.Stopping {
		t.Errorf("next datagram = %+v, %v; want STOPPING=1", d.Message, d.Err)
	}
}

func TestReceiveTooLong(t *testing.T) {
	s := listen(t, socketPath(t))
	if err := Send(s.Path(), "READY=1\nSTATUS="+strings.Repeat("x", 5000)); err != nil {
		t.Fatal(err)
	}
	if err := Send(s.Path(), "READY=1"); err != nil {
		t.Fatal(err)
	}
	d := receive(t, s)
	if !errors.Is(d.Err, ErrTooLong) || d.Message.Ready {
		t.Errorf("over-long datagram: Err = %v, Message = %+v; want ErrTooLong, empty", d.Err, d.Message)
	}
	if len(d.Raw) != MaxDatagram+1 || d.PID != os.Getpid() {
		t.Errorf("len(Raw) = %d, PID = %d", len(d.Raw), d.PID)
	}
	if d = receive(t, s); d.Err != nil || !d.Message.Ready {
		t.Errorf("next datagram = %+v, %v; want READY=1", d.Message, d.Err)
	}
}

func TestReceiveClosesPassedFDs(t *testing.T) {
	s := listen(t, socketPath(t))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sendWithFDs(t, s.Path(), "FDSTORE=1", int(w.Fd()), int(w.Fd()))
	w.Close() // the only write ends left are the two in flight

	d := receive(t, s)
	if d.Err != nil || !d.Message.FDStore || d.FDs != 2 {
		t.Errorf("got %+v, FDs %d, Err %v; want FDSTORE=1 with 2 fds", d.Message, d.FDs, d.Err)
	}
	// EOF proves every write end is closed; the deadline only bounds a failure.
	if err := r.SetReadDeadline(time.Now().Add(testbound.Scale(10 * time.Second))); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read pipe = %d, %v; want EOF (passed fds closed)", n, err)
	}
}

// sendWithFDs sends state with fds attached (SCM_RIGHTS).
func sendWithFDs(t *testing.T, path, state string, fds ...int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrUnix{Name: path}
	if err := unix.Sendmsg(fd, []byte(state), unix.UnixRights(fds...), to, 0); err != nil {
		t.Fatal(err)
	}
}

func TestCloseUnblocksReceive(t *testing.T) {
	path := socketPath(t)
	s := listen(t, path)
	errc := make(chan error)
	go func() {
		_, err := s.Receive()
		errc <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive after Close = %v, want net.ErrClosed", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file after Close: %v, want removed", err)
	}
	if err := s.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	if _, err := s.Receive(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive on closed socket = %v, want net.ErrClosed", err)
	}
}

func TestListenMode(t *testing.T) {
	path := socketPath(t)
	listen(t, path)
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want socket 0600", fi.Mode())
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := socketPath(t)
	old, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	old.Close() // unixgram leaves its file behind
	s := listen(t, path)
	if err := Send(path, "READY=1"); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, s); !d.Message.Ready {
		t.Errorf("got %+v, want READY=1", d.Message)
	}
}

func TestListenKeepsOtherFiles(t *testing.T) {
	path := socketPath(t)
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Listen(path); err == nil {
		s.Close()
		t.Fatal("Listen over a regular file succeeded")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "data" {
		t.Errorf("regular file after Listen: %q, %v", b, err)
	}
}

func TestListenAbstract(t *testing.T) {
	s := listen(t, fmt.Sprintf("@poold-notify-test-%d", os.Getpid()))
	if err := Send(s.Path(), "WATCHDOG=1"); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, s); !d.Message.Watchdog || d.UID != os.Getuid() {
		t.Errorf("got %+v from uid %d, want WATCHDOG=1 from %d", d.Message, d.UID, os.Getuid())
	}
}

func TestPathErrors(t *testing.T) {
	if _, err := Listen(""); !errors.Is(err, ErrNoPath) {
		t.Errorf("Listen(\"\") = %v, want ErrNoPath", err)
	}
	if err := Send("", "READY=1"); !errors.Is(err, ErrNoPath) {
		t.Errorf("Send(\"\") = %v, want ErrNoPath", err)
	}
	if err := Send(socketPath(t), "READY=1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Send to a missing socket = %v, want ENOENT", err)
	}
}
