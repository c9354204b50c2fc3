package distribute

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/fdstoretest"
	"github.com/poold/poold/internal/testbound"
)

// newFakeSystemd points NOTIFY_SOCKET at a fake fd store and returns it
// with the notifier poold would make.
func newFakeSystemd(t *testing.T) (*fdstoretest.Store, *activation.Notifier) {
	t.Helper()
	store := fdstoretest.Listen(t)
	t.Setenv("NOTIFY_SOCKET", store.Path)
	n, err := activation.NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	return store, n
}

// passed is what systemd passes a poold it starts again, as
// FromEnvironment makes it Sockets.
func passed(t *testing.T, store *fdstoretest.Store) []activation.Socket {
	t.Helper()
	files, names := store.Passed(t)
	socks := make([]activation.Socket, len(files))
	for i, f := range files {
		socks[i] = socketOf(t, f, names[i])
	}
	return socks
}

// socketOf wraps a TCP listening socket's file as FromEnvironment would.
func socketOf(t *testing.T, f *os.File, name string) activation.Socket {
	t.Helper()
	sa, err := unix.Getsockname(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	in := sa.(*unix.SockaddrInet4)
	addr := fmt.Sprintf("%d.%d.%d.%d:%d", in.Addr[0], in.Addr[1], in.Addr[2], in.Addr[3], in.Port)
	return activation.Socket{Name: name, File: f, Network: "tcp", Addr: addr}
}

func waitStore(t *testing.T, n *activation.Notifier) {
	t.Helper()
	if err := n.Barrier(testbound.Scale(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
}

func inodeOf(t *testing.T, s activation.Socket) uint64 {
	t.Helper()
	ino, err := s.Inode()
	if err != nil {
		t.Fatal(err)
	}
	return ino
}

// queue opens connections from n client addresses that nobody accepts
// yet, each waiting in the backlog of its slot's socket.
func queue(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientAddr(i))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns
}

// serveQueued accepts what waits on the slots' sockets and answers "ok".
func serveQueued(t *testing.T, slots [][]activation.Socket) {
	t.Helper()
	for _, socks := range slots {
		fd := int(socks[0].File.Fd())
		for {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, err := unix.Poll(pfd, 0); err != nil || n == 0 {
				break
			}
			c, _, err := unix.Accept(fd)
			if err != nil {
				t.Fatal(err)
			}
			unix.Write(c, []byte("ok"))
			unix.Close(c)
		}
	}
}

// resets counts the connections reset instead of answered.
func resets(t *testing.T, conns []net.Conn) int {
	t.Helper()
	n := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(testbound.Scale(10 * time.Second)))
		got, err := io.ReadAll(c)
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			n++
		case err != nil || string(got) != "ok":
			t.Fatalf("connection from %s: %q, %v; want ok or a reset", c.LocalAddr(), got, err)
		}
	}
	return n
}

// A poold that dies and starts again with the slots' sockets from the
// store serves the connections queued on them, and every address stays
// on its slot; without the store those connections are reset.
func TestRestartTakesBackTheSlots(t *testing.T) {
	for _, withStore := range []bool{true, false} {
		t.Run(fmt.Sprintf("store %v", withStore), func(t *testing.T) {
			fake, n := newFakeSystemd(t)
			keep := Keep{}
			if withStore {
				keep.Store = n
			}
			base := bindShared(t, "127.0.0.1:0", activation.SharePort)
			first, err := NewGroup(Sticky, base, quiet, keep)
			if err != nil {
				t.Fatal(err)
			}
			all := View{Target: 3, Ready: allReady(3), Occupied: allReady(3)}
			slots := make([][]activation.Socket, 3)
			for slot := range slots {
				if slots[slot], err = first.Sockets(slot); err != nil {
					t.Fatal(err)
				}
			}
			if err := first.Update(all); err != nil {
				t.Fatal(err)
			}
			before := map[int]int{}
			for i := range 60 {
				before[i] = slotOf(t, slots, clientAddr(i))
			}
			inodes := []uint64{inodeOf(t, slots[1][0]), inodeOf(t, slots[2][0])}
			conns := queue(t, base[0].Addr, 60)
			queuedAbove0 := 0
			for i := range conns {
				if before[i] != 0 {
					queuedAbove0++
				}
			}
			waitStore(t, n)
			if withStore {
				fake.WaitHolds(t, testbound.Scale(10*time.Second), map[string]int{"poold-slot-1": 1, "poold-slot-2": 1})
			}

			first.Close() // poold dies: its fds close; the socket unit's stays
			keep.Stored = passed(t, fake)
			second, err := NewGroup(Sticky, base, quiet, keep)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(second.Close)
			for slot := range slots {
				if slots[slot], err = second.Sockets(slot); err != nil {
					t.Fatal(err)
				}
			}
			sameSockets := inodeOf(t, slots[1][0]) == inodes[0] && inodeOf(t, slots[2][0]) == inodes[1]
			if sameSockets != withStore {
				t.Errorf("slots 1 and 2 have the same sockets after the restart: %v, want %v", sameSockets, withStore)
			}
			serveQueued(t, slots)
			wantResets := 0
			if !withStore {
				wantResets = queuedAbove0
			}
			if got := resets(t, conns); got != wantResets || queuedAbove0 == 0 {
				t.Errorf("%d of %d connections queued on slots 1 and 2 reset, want %d", got, queuedAbove0, wantResets)
			}
			if err := second.Update(all); err != nil {
				t.Fatal(err)
			}
			for i := range 60 {
				if got := slotOf(t, slots, clientAddr(i)); got != before[i] {
					t.Fatalf("%s went to slot %d before the restart, to %d after", clientAddr(i), before[i], got)
				}
			}
		})
	}
}

// storedReplica is a socket a previous poold kept for slot, on base's
// address.
func storedReplica(t *testing.T, base activation.Socket, slot int) activation.Socket {
	t.Helper()
	r, err := activation.Replicate(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.File.Close() })
	r.Name = activation.SlotStoreName(slot)
	return r
}

// A stored slot that does not fit is dropped with every slot above it,
// from poold and from the store; the slots below are taken back.
func TestUnfitStoredSlotsAreDropped(t *testing.T) {
	fake, n := newFakeSystemd(t)
	base := bindShared(t, "127.0.0.1:0", activation.SharePort)
	other := bindShared(t, "127.0.0.1:0", activation.SharePort)
	stored := []activation.Socket{
		storedReplica(t, base[0], 1),
		storedReplica(t, other[0], 2), // another address
		storedReplica(t, base[0], 3),
	}
	for _, s := range stored {
		if err := n.StoreFDs(s.Name, s.File); err != nil {
			t.Fatal(err)
		}
	}
	oldThree := inodeOf(t, stored[2])
	g, err := NewGroup(Sticky, base, quiet, Keep{Store: n, Stored: stored})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	waitStore(t, n)
	if got := fake.Holds(); !maps.Equal(got, map[string]int{"poold-slot-1": 1}) {
		t.Errorf("store holds %v, want slot 1's socket only", got)
	}
	one, err := g.Sockets(1)
	if err != nil || one[0].File != stored[0].File || one[0].Name != base[0].Name {
		t.Errorf("slot 1: %+v, %v; want the stored socket named %q", one, err, base[0].Name)
	}
	three, err := g.Sockets(3)
	if err != nil || inodeOf(t, three[0]) == oldThree {
		t.Errorf("slot 3: %+v, %v; want a new socket", three, err)
	}
	waitStore(t, n)
	if got := fake.Holds(); got["poold-slot-2"] != 1 || got["poold-slot-3"] != 1 {
		t.Errorf("store holds %v, want the new sockets of slots 2 and 3", got)
	}
}

func TestSharedDropsStoredSlots(t *testing.T) {
	fake, n := newFakeSystemd(t)
	base := bindShared(t, "127.0.0.1:0", activation.SharePort)
	s := storedReplica(t, base[0], 1)
	if err := n.StoreFDs(s.Name, s.File); err != nil {
		t.Fatal(err)
	}
	if _, err := NewGroup(Shared, base, quiet, Keep{Store: n, Stored: []activation.Socket{s}}); err != nil {
		t.Fatal(err)
	}
	waitStore(t, n)
	if got := fake.Holds(); len(got) != 0 {
		t.Errorf("store holds %v, want nothing in the shared distribution", got)
	}
}

// Scaling down removes the slot's sockets from the store before they close.
func TestScaleDownRemovesFromStore(t *testing.T) {
	fake, n := newFakeSystemd(t)
	g, err := NewGroup(Balanced, bindShared(t, "127.0.0.1:0", activation.SharePort), quiet, Keep{Store: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	for slot := range 3 {
		if _, err := g.Sockets(slot); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Update(View{Target: 1, Ready: allReady(1), Occupied: allReady(1)}); err != nil {
		t.Fatal(err)
	}
	waitStore(t, n)
	if got := fake.Holds(); len(got) != 0 {
		t.Errorf("store holds %v after scaling to one slot, want nothing", got)
	}
}

// A poold that stops sends new connections to slot 0 (the socket unit's
// socket, which outlives it), not to the slots' sockets that the store
// keeps until the unit stops or the next poold takes them back.
func TestCloseLeavesNewConnectionsToSlotZero(t *testing.T) {
	_, n := newFakeSystemd(t)
	g, slots := newGroup(t, Sticky, 3)
	g.store = n
	for slot := 1; slot < 3; slot++ {
		g.keep(slot, slots[slot])
	}
	if err := g.Update(View{Target: 3, Ready: allReady(3), Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	waitStore(t, n)
	g.Close()
	for i := range 60 {
		if slot := slotOf(t, slots, clientAddr(i)); slot != 0 {
			t.Fatalf("after Close, %s went to slot %d", clientAddr(i), slot)
		}
	}
}
