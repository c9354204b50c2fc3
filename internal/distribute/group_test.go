package distribute

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func bindShared(t *testing.T, addr string, opts ...activation.BindOption) []activation.Socket {
	t.Helper()
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: addr}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { activation.CloseAll(socks) })
	return socks
}

func newGroup(t *testing.T, mode Mode, slots int) (*Group, [][]activation.Socket) {
	t.Helper()
	g, err := NewGroup(mode, bindShared(t, "127.0.0.1:0", activation.SharePort), quiet, Keep{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	all := make([][]activation.Socket, slots)
	for slot := range all {
		if all[slot], err = g.Sockets(slot); err != nil {
			t.Fatal(err)
		}
	}
	return g, all
}

func allReady(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// slotOf connects from the local address from and returns the slot whose
// socket the kernel queued the connection on.
func slotOf(t *testing.T, slots [][]activation.Socket, from string) int {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", slots[0][0].Addr)
	if err != nil {
		t.Fatalf("connect from %s: %v", from, err)
	}
	defer c.Close()
	fds := make([]unix.PollFd, len(slots))
	for i, s := range slots {
		fds[i] = unix.PollFd{Fd: int32(s[0].File.Fd()), Events: unix.POLLIN}
	}
	if n, err := unix.Poll(fds, 10_000); err != nil || n != 1 {
		t.Fatalf("connection from %s: %d sockets readable (%v), want 1", from, n, err)
	}
	for i, fd := range fds {
		if fd.Revents&unix.POLLIN != 0 {
			nfd, _, err := unix.Accept(int(fd.Fd))
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(nfd)
			return i
		}
	}
	panic("unreachable")
}

func clientAddr(i int) string { return fmt.Sprintf("127.%d.%d.%d", 1+i/65536, i/256%256, 1+i%250) }

// The kernel runs the sticky program: an address lands on the same slot
// every time; a fourth slot takes about a quarter of the addresses, and
// only those move.
func TestStickyKeepsAddressesOnTheirSlot(t *testing.T) {
	g, slots := newGroup(t, Sticky, 3)
	if err := g.Update(View{Target: 3, Ready: allReady(3), Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	const addrs = 600
	before := make([]int, addrs)
	count := make([]int, 4)
	for i := range before {
		before[i] = slotOf(t, slots, clientAddr(i))
		count[before[i]]++
		if again := slotOf(t, slots, clientAddr(i)); again != before[i] {
			t.Fatalf("%s went to slot %d, then %d", clientAddr(i), before[i], again)
		}
	}
	if count[0] < addrs/5 || count[1] < addrs/5 || count[2] < addrs/5 {
		t.Errorf("3 slots: addresses per slot %v", count)
	}
	fourth, err := g.Sockets(3) // as the spawner asks when slot 3 starts
	if err != nil {
		t.Fatal(err)
	}
	slots = append(slots, fourth)
	if err := g.Update(View{Target: 4, Ready: allReady(4), Occupied: allReady(4)}); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i := range before {
		after := slotOf(t, slots, clientAddr(i))
		if after != before[i] {
			if after != 3 {
				t.Fatalf("%s moved from slot %d to %d, not to the new slot 3", clientAddr(i), before[i], after)
			}
			moved++
		}
	}
	if share := float64(moved) / addrs; share < 0.15 || share > 0.35 {
		t.Errorf("3→4 slots moved %.2f of the addresses, want about 0.25", share)
	}
}

// Balanced spreads the connections of few addresses evenly, and never to a
// slot without a ready worker.
func TestBalancedSkipsSlotsWithoutReadyWorker(t *testing.T) {
	g, slots := newGroup(t, Balanced, 3)
	if err := g.Update(View{Target: 3, Ready: []bool{true, false, true}, Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	count := make([]int, 3)
	for i := range 2000 {
		count[slotOf(t, slots, clientAddr(i%4))]++
	}
	if count[1] != 0 {
		t.Errorf("slot 1 has no ready worker but got %d connections", count[1])
	}
	if r := float64(max(count[0], count[2])) / float64(max(1, min(count[0], count[2]))); r > 1.3 {
		t.Errorf("connections per slot %v: max/min %.2f > 1.3", count, r)
	}
}

// Before any worker is ready every connection waits on slot 0.
func TestNoReadySlotMeansSlotZero(t *testing.T) {
	_, slots := newGroup(t, Sticky, 3)
	for i := range 50 {
		if slot := slotOf(t, slots, clientAddr(i)); slot != 0 {
			t.Fatalf("with no ready worker a connection went to slot %d", slot)
		}
	}
}

// Scaling down closes the removed slot's sockets once its worker is gone;
// scaling up again gives the slot a new socket at the same index.
func TestRemovedSlotSocketsCloseAndComeBack(t *testing.T) {
	g, slots := newGroup(t, Sticky, 3)
	ready := View{Target: 3, Ready: allReady(3), Occupied: allReady(3)}
	if err := g.Update(ready); err != nil {
		t.Fatal(err)
	}
	if err := g.Update(View{Target: 2, Ready: allReady(2), Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := slots[2][0].File.Stat(); err != nil {
		t.Fatalf("slot 2's socket closed while its worker still runs: %v", err)
	}
	if err := g.Update(View{Target: 2, Ready: allReady(2), Occupied: allReady(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := slots[2][0].File.Stat(); err == nil {
		t.Fatal("slot 2's socket still open after its worker left")
	}
	fresh, err := g.Sockets(2)
	if err != nil {
		t.Fatal(err)
	}
	slots[2] = fresh
	if err := g.Update(ready); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i := 0; i < 300 && len(seen) < 3; i++ {
		seen[slotOf(t, slots, clientAddr(i))] = true
	}
	if !seen[2] {
		t.Errorf("no connection reached the new socket of slot 2: %v", seen)
	}
}

func TestSpreadNeedsReusePort(t *testing.T) {
	_, err := NewGroup(Balanced, bindShared(t, "127.0.0.1:0"), quiet, Keep{})
	if err == nil || !strings.Contains(err.Error(), "ReusePort=yes") {
		t.Errorf("NewGroup on a socket without SO_REUSEPORT: %v; want advice on ReusePort=yes", err)
	}
}

func TestUnixSocketsStayShared(t *testing.T) {
	path := t.TempDir() + "/s"
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "u", Network: "unix", Address: path}}, activation.SharePort)
	if err != nil {
		t.Fatal(err)
	}
	defer activation.CloseAll(socks)
	g, err := NewGroup(Sticky, socks, quiet, Keep{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s1, err := g.Sockets(1)
	if err != nil || s1[0].File != socks[0].File {
		t.Errorf("slot 1's unix socket: %v, %v; want the pool's own", s1, err)
	}
}

func TestIPv6DualStackSticks(t *testing.T) {
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: "[::1]:0"}}, activation.SharePort)
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(func() { activation.CloseAll(socks) })
	g, err := NewGroup(Sticky, socks, quiet, Keep{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	slots := make([][]activation.Socket, 3)
	for i := range slots {
		if slots[i], err = g.Sockets(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Update(View{Target: 3, Ready: allReady(3), Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i := 0; i < 200; i++ { // ::1 is the only IPv6 loopback address: vary the port instead
		seen[slotOf(t, slots, "::1")] = true
	}
	if len(seen) != 1 {
		t.Errorf("one IPv6 address reached slots %v, want one", seen)
	}
}
