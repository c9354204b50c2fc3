package activation

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/testbound"
)

// receiveFDs plays systemd reading a notification: the text and the fds
// that came with it, as files closed at cleanup.
func receiveFDs(t *testing.T, conn *net.UnixConn) (string, []*os.File) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(testbound.Scale(10 * time.Second)))
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(16*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatalf("read notification: %v", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		t.Fatal(err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fds {
			f := os.NewFile(uintptr(fd), "received")
			t.Cleanup(func() { f.Close() })
			files = append(files, f)
		}
	}
	return string(buf[:n]), files
}

func inode(t *testing.T, f *os.File) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestStoreFDsPassesTheSockets(t *testing.T) {
	conn := listenNotify(t, filepath.Join(t.TempDir(), "notify"))
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	socks := mustBind(t,
		ListenSpec{Name: "http", Network: "tcp", Address: "127.0.0.1:0"},
		ListenSpec{Name: "https", Network: "tcp", Address: "127.0.0.1:0"})
	if err := n.StoreFDs(SlotStoreName(3), socks[0].File, socks[1].File); err != nil {
		t.Fatal(err)
	}
	text, files := receiveFDs(t, conn)
	if text != "FDSTORE=1\nFDNAME=poold-slot-3" || len(files) != 2 {
		t.Fatalf("got %q with %d fds, want FDSTORE=1, FDNAME=poold-slot-3 and 2 fds", text, len(files))
	}
	for i, f := range files {
		if got, want := inode(t, f), inode(t, socks[i].File); got != want {
			t.Errorf("fd %d passed is socket %d, want %d (%s)", i, got, want, socks[i].Addr)
		}
	}
	if err := n.RemoveFDs(SlotStoreName(3)); err != nil {
		t.Fatal(err)
	}
	if text, files := receiveFDs(t, conn); text != "FDSTOREREMOVE=1\nFDNAME=poold-slot-3" || len(files) != 0 {
		t.Errorf("got %q with %d fds, want FDSTOREREMOVE=1 for poold-slot-3 and no fd", text, len(files))
	}
}

// Barrier returns once systemd closed the pipe it was sent, and not before.
func TestBarrierWaitsForSystemd(t *testing.T) {
	conn := listenNotify(t, filepath.Join(t.TempDir(), "notify"))
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Barrier(testbound.Scale(10 * time.Second)) }()
	text, files := receiveFDs(t, conn)
	if text != "BARRIER=1" || len(files) != 1 {
		t.Fatalf("got %q with %d fds, want BARRIER=1 with a pipe", text, len(files))
	}
	select {
	case err := <-done:
		t.Fatalf("Barrier returned %v while systemd still held the pipe", err)
	default:
	}
	files[0].Close()
	if err := <-done; err != nil {
		t.Errorf("Barrier = %v after systemd closed the pipe", err)
	}

	if err := n.Barrier(50 * time.Millisecond); !errors.Is(err, ErrBarrierTimeout) {
		t.Errorf("Barrier nobody answers = %v, want ErrBarrierTimeout", err)
	}
}

func TestFDStoreDisabled(t *testing.T) {
	setOrUnset(t, "NOTIFY_SOCKET", "")
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	f := rawSocket(t, unix.SOCK_STREAM)
	for _, n := range []*Notifier{n, nil} {
		for _, err := range []error{n.StoreFDs("poold-slot-1", f), n.RemoveFDs("poold-slot-1"), n.Barrier(time.Millisecond)} {
			if err != nil {
				t.Errorf("not under systemd: got %v, want nil", err)
			}
		}
	}
}

func TestStoreFDsRefusesBadNames(t *testing.T) {
	listenNotify(t, filepath.Join(t.TempDir(), "notify"))
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	f := rawSocket(t, unix.SOCK_STREAM)
	for _, give := range []string{"", "a:b", "line\nbreak", strings.Repeat("x", 256)} {
		if err := n.StoreFDs(give, f); err == nil || !strings.Contains(err.Error(), "fd name") {
			t.Errorf("StoreFDs(%q) = %v, want an fd name error", give, err)
		}
		if err := n.RemoveFDs(give); err == nil {
			t.Errorf("RemoveFDs(%q) = nil, want an error", give)
		}
	}
}

func TestStoreNames(t *testing.T) {
	tests := []struct {
		give       string
		wantSlot   int
		wantListen int
		slot       bool
		listen     bool
	}{
		{give: SlotStoreName(0), wantSlot: 0, slot: true},
		{give: SlotStoreName(12), wantSlot: 12, slot: true},
		{give: ListenStoreName(2), wantListen: 2, listen: true},
		{give: "poold-slot-"},
		{give: "poold-slot-01"},
		{give: "poold-slot--1"},
		{give: "poold-slot-1a"},
		{give: "http"},
	}
	for _, tt := range tests {
		slot, slotOK := ParseSlotStoreName(tt.give)
		i, listenOK := ParseListenStoreName(tt.give)
		if slotOK != tt.slot || slot != tt.wantSlot || listenOK != tt.listen || i != tt.wantListen {
			t.Errorf("%q: slot (%d, %v), listen (%d, %v); want (%d, %v), (%d, %v)",
				tt.give, slot, slotOK, i, listenOK, tt.wantSlot, tt.slot, tt.wantListen, tt.listen)
		}
	}
}
