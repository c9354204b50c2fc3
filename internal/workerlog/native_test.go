package workerlog

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestAppendField(t *testing.T) {
	got := appendField(nil, "MESSAGE", "one line")
	if string(got) != "MESSAGE=one line\n" {
		t.Errorf("text field: %q", got)
	}
	got = appendField(nil, "MESSAGE", "two\nlines")
	want := append([]byte("MESSAGE\n"), 9, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, "two\nlines\n"...)
	if !bytes.Equal(got, want) {
		t.Errorf("binary field: %q, want %q", got, want)
	}
}

// fakeJournald listens like journald's native socket.
type fakeJournald struct {
	t    *testing.T
	path string
	conn *net.UnixConn
}

func listenJournald(t *testing.T, path string) *fakeJournald {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fakeJournald{t: t, path: path, conn: conn}
}

// receive returns the next entry, read from a passed fd when one comes.
func (j *fakeJournald) receive() []byte {
	j.t.Helper()
	buf, oob := make([]byte, 1<<20), make([]byte, 64)
	j.conn.SetReadDeadline(time.Now().Add(bound))
	n, oobn, _, _, err := j.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		j.t.Fatal(err)
	}
	if oobn == 0 {
		return buf[:n]
	}
	msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		j.t.Fatalf("control message: %v %v", fds, err)
	}
	f := os.NewFile(uintptr(fds[0]), "entry")
	defer f.Close()
	if seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0); err != nil || seals&unix.F_SEAL_WRITE == 0 {
		j.t.Errorf("passed fd not sealed: %#x %v", seals, err)
	}
	var data bytes.Buffer
	if _, err := f.Seek(0, 0); err != nil {
		j.t.Fatal(err)
	}
	data.ReadFrom(f)
	return data.Bytes()
}

func TestNativeConn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	j := listenJournald(t, path)
	c := &nativeConn{path: path}
	if err := c.send([]byte("MESSAGE=hi\n")); err != nil {
		t.Fatal(err)
	}
	if got := j.receive(); string(got) != "MESSAGE=hi\n" {
		t.Errorf("got %q", got)
	}
	// Too large for a datagram: in a sealed memfd.
	big := "MESSAGE=" + strings.Repeat("b", 4<<20) + "\n"
	if err := c.send([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if got := j.receive(); string(got) != big {
		t.Errorf("large entry: got %d bytes, want %d", len(got), len(big))
	}
	// journald restarts: a new socket at the same path.
	j.conn.Close()
	os.Remove(path)
	j = listenJournald(t, path)
	if err := c.send([]byte("MESSAGE=again\n")); err != nil {
		t.Fatal(err)
	}
	if got := j.receive(); string(got) != "MESSAGE=again\n" {
		t.Errorf("after a restart: got %q", got)
	}
	os.Remove(path)
	j.conn.Close()
	if err := c.send([]byte("MESSAGE=lost\n")); err == nil {
		t.Error("send without journald: no error")
	}
}

// A journald that does not read makes a send wait, and one that reads
// again wakes it: the wait is on journald's queue, not a busy loop. A
// socket that goes away for good ends the wait with an error.
func TestNativeConnWaitsForJournald(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	j := listenJournald(t, path)
	c := &nativeConn{path: path}
	sent := make(chan error)
	go func() {
		for {
			err := c.send([]byte("MESSAGE=x\n"))
			sent <- err
			if err != nil {
				return
			}
		}
	}()
	// Until the sender stops making progress: journald's queue is full.
	for n := 0; ; n++ {
		select {
		case err := <-sent:
			if err != nil || n > 100000 {
				t.Fatalf("the sender never waited: %v after %d", err, n)
			}
			continue
		case <-time.After(200 * time.Millisecond): // nothing marks "waiting": give it time
		}
		break
	}
	j.receive()
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(bound):
		t.Fatal("a read by journald did not wake the sender")
	}
	j.conn.Close()
	os.Remove(path)
	deadline := time.After(bound)
	for {
		select {
		case err := <-sent:
			if err == nil {
				continue // queued before the close
			}
			if !strings.Contains(err.Error(), "journal:") {
				t.Errorf("error %v", err)
			}
			return
		case <-deadline:
			t.Fatal("a sender waiting on a closed journald never gave up")
		}
	}
}
