package distribute

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"golang.org/x/net/bpf"
)

// packet is the start of a TCP SYN as the program sees it from the network
// header on: an IPv4 or IPv6 header without options, then the TCP ports.
func packet(addr []byte, port uint16) []byte {
	var p []byte
	if len(addr) == 4 {
		p = make([]byte, 20+4)
		p[0] = 0x45 // version 4, header length 5 words
		copy(p[12:16], addr)
		binary.BigEndian.PutUint16(p[20:], port)
	} else {
		p = make([]byte, 40+4)
		p[0] = 0x60
		copy(p[8:24], addr)
		binary.BigEndian.PutUint16(p[40:], port)
	}
	return p
}

func run(t *testing.T, s selector, pkt []byte) int {
	t.Helper()
	s.netOff = 0 // the VM reads the packet from its network header
	prog, err := s.instructions()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := vm.Run(pkt)
	if err != nil {
		t.Fatal(err)
	}
	return slot
}

func randomAddrs(n, size int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	addrs := make([][]byte, n)
	for i := range addrs {
		addrs[i] = make([]byte, size)
		for j := range addrs[i] {
			addrs[i][j] = byte(r.UintN(256))
		}
	}
	return addrs
}

func TestStickySpreadsAddressesEvenly(t *testing.T) {
	for _, size := range []int{4, 16} {
		addrs := randomAddrs(20000, size)
		for _, n := range []int{2, 3, 5, 8} {
			count := make([]int, n)
			for _, a := range addrs {
				slot := run(t, selector{buckets: n}, packet(a, 40000))
				if slot < 0 || slot >= n {
					t.Fatalf("IPv%d, %d slots: slot %d", map[int]int{4: 4, 16: 6}[size], n, slot)
				}
				count[slot]++
			}
			lo, hi := count[0], count[0]
			for _, c := range count {
				lo, hi = min(lo, c), max(hi, c)
			}
			if float64(hi)/float64(lo) > 1.1 {
				t.Errorf("%d-byte addresses over %d slots: counts %v, max/min %.2f > 1.1", size, n, count, float64(hi)/float64(lo))
			}
		}
	}
}

// Growing from n to n+1 slots moves about 1/(n+1) of the addresses, and
// only to the new slot; the port does not matter.
func TestStickyScaleUpMovesFewAddresses(t *testing.T) {
	addrs := randomAddrs(10000, 4)
	for n := 1; n < 8; n++ {
		moved := 0
		for i, a := range addrs {
			before := run(t, selector{buckets: n}, packet(a, uint16(i)))
			after := run(t, selector{buckets: n + 1}, packet(a, uint16(i+7)))
			if after != before {
				if after != n {
					t.Fatalf("%d→%d slots: an address moved from slot %d to %d, not to the new slot", n, n+1, before, after)
				}
				moved++
			}
		}
		share, want := float64(moved)/float64(len(addrs)), 1/float64(n+1)
		if share < want-0.02 || share > want+0.02 {
			t.Errorf("%d→%d slots moved %.3f of the addresses, want %.3f±0.02", n, n+1, share, want)
		}
	}
}

func TestBalancedSpreadsOneAddressOverReadySlots(t *testing.T) {
	addr := []byte{10, 1, 2, 3}
	s := selector{withPort: true, buckets: 2, slots: []int{0, 2}} // slot 1 has no ready worker
	count := map[int]int{}
	for port := 1024; port < 11024; port++ {
		count[run(t, s, packet(addr, uint16(port)))]++
	}
	if len(count) != 2 || count[1] != 0 {
		t.Fatalf("slots chosen %v, want only 0 and 2", count)
	}
	if r := float64(count[0]) / float64(count[2]); r < 0.9 || r > 1.1 {
		t.Errorf("one address's connections split %v between slots 0 and 2", count)
	}
}

func TestProgramSizeIsBounded(t *testing.T) {
	prog, err := selector{withPort: true, buckets: maxSlots, netOff: skfNetOff}.program()
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) > 4096 {
		t.Errorf("%d slots: %d instructions, the kernel takes 4096", maxSlots, len(prog))
	}
	if _, err := (selector{buckets: maxSlots + 1}).program(); err == nil {
		t.Errorf("%d slots: no error", maxSlots+1)
	}
}
