package distribute

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// skfNetOff is SKF_NET_OFF: classic BPF loads at this offset plus k read
// the network header of the packet, wherever the filter's data starts (for
// SO_ATTACH_REUSEPORT_CBPF, after the TCP header).
const skfNetOff = 0xfff00000 // -0x100000 as uint32

// maxSlots bounds the program: the unrolled jump hash takes ~17
// instructions a slot, and the kernel accepts 4096.
const maxSlots = 200

// Scratch memory of the program.
const (
	memHash = iota // the hash being mixed
	memKey         // the jump hash's random state
	memB           // its current bucket
	memJ           // its next candidate
)

// selector describes a program: which fields of the connection's first
// packet choose the slot, and among which slots.
type selector struct {
	// withPort adds the client's port to its address: connections from one
	// address spread (balanced) instead of sticking to one slot (sticky).
	withPort bool
	// buckets is the number of jump hash buckets: slots 0..buckets-1.
	buckets int
	// slots maps bucket i to slots[i] when set (balanced: only the slots
	// with a ready worker); nil means bucket i is slot i.
	slots []int
	// netOff is where the network header is: skfNetOff in the kernel, 0 to
	// run the program on a raw IP packet in tests.
	netOff uint32
}

// program assembles the selector.
func (s selector) program() ([]bpf.RawInstruction, error) {
	p, err := s.instructions()
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(p)
}

// instructions is the program: it returns the index of a socket in the
// reuseport group, which is the slot.
func (s selector) instructions() ([]bpf.Instruction, error) {
	if s.buckets > maxSlots {
		return nil, fmt.Errorf("%d slots: the balanced and sticky distributions support at most %d", s.buckets, maxSlots)
	}
	var p []bpf.Instruction
	p = append(p, s.hashAddress()...)
	p = append(p, s.jumpHash()...)
	return append(p, s.toSlot()...), nil
}

// hashAddress leaves a 32-bit hash of the client address (and port) in
// memKey. IPv4 (also IPv4-mapped connections to a dual-stack socket) and
// IPv6 without extension headers.
func (s selector) hashAddress() []bpf.Instruction {
	n := s.netOff
	v4 := mixIn(bpf.LoadAbsolute{Off: n + 12, Size: 4})
	if s.withPort {
		v4 = append(v4, bpf.LoadMemShift{Off: n}) // X = IPv4 header length
		v4 = append(v4, mixIn(bpf.LoadIndirect{Off: n, Size: 2})...)
	}
	var v6 []bpf.Instruction
	for off := uint32(8); off < 24; off += 4 {
		v6 = append(v6, mixIn(bpf.LoadAbsolute{Off: n + off, Size: 4})...)
	}
	if s.withPort {
		v6 = append(v6, mixIn(bpf.LoadAbsolute{Off: n + 40, Size: 2})...)
	}
	p := []bpf.Instruction{
		bpf.LoadConstant{Dst: bpf.RegA, Val: 0x9e3779b9},
		bpf.StoreScratch{Src: bpf.RegA, N: memHash},
		bpf.LoadAbsolute{Off: n, Size: 1},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 4}, // IP version
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: uint8(len(v4) + 1)},
	}
	p = append(p, v4...)
	p = append(p, bpf.Jump{Skip: uint32(len(v6))})
	p = append(p, v6...)
	// Finish: memKey = fmix(hash).
	return append(p,
		bpf.LoadScratch{Dst: bpf.RegA, N: memHash},
		bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 0xc2b2ae35},
		bpf.TAX{},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16},
		bpf.ALUOpX{Op: bpf.ALUOpXor},
		bpf.StoreScratch{Src: bpf.RegA, N: memKey},
	)
}

// mixIn loads a word with load and mixes it into memHash:
// h = (h ^ w) * c; h ^= h >> 13.
func mixIn(load bpf.Instruction) []bpf.Instruction {
	return []bpf.Instruction{
		load,
		bpf.LoadScratch{Dst: bpf.RegX, N: memHash},
		bpf.ALUOpX{Op: bpf.ALUOpXor},
		bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 0x85ebca6b},
		bpf.TAX{},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 13},
		bpf.ALUOpX{Op: bpf.ALUOpXor},
		bpf.StoreScratch{Src: bpf.RegA, N: memHash},
	}
}

// jumpHash leaves in A the bucket of memKey among s.buckets, by Lamping and
// Veach's jump consistent hash: growing from n to n+1 buckets moves only
// 1/(n+1) of the keys, all to the new bucket. Its loop runs at most n times
// (j grows by at least one a round), so it
// is unrolled n times; classic BPF has no backward jumps. The random
// sequence is a 32-bit LCG, of which the top 16 bits are used.
func (s selector) jumpHash() []bpf.Instruction {
	p := []bpf.Instruction{
		bpf.LoadConstant{Dst: bpf.RegA, Val: 0},
		bpf.StoreScratch{Src: bpf.RegA, N: memB},
		bpf.StoreScratch{Src: bpf.RegA, N: memJ},
	}
	const round = 16 // instructions per round, the first three included
	for i := 0; i < s.buckets; i++ {
		toEnd := uint32((s.buckets-i-1)*round + round - 3)
		p = append(p,
			bpf.LoadScratch{Dst: bpf.RegA, N: memJ},
			bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: uint32(s.buckets), SkipFalse: 1},
			bpf.Jump{Skip: toEnd},
			bpf.StoreScratch{Src: bpf.RegA, N: memB}, // b = j
			bpf.LoadScratch{Dst: bpf.RegA, N: memKey},
			bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 1664525},
			bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1013904223},
			bpf.StoreScratch{Src: bpf.RegA, N: memKey},
			bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16},
			bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1},
			bpf.TAX{}, // X = r in 1..65536
			bpf.LoadScratch{Dst: bpf.RegA, N: memB},
			bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1},
			bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 16},
			bpf.ALUOpX{Op: bpf.ALUOpDiv}, // j = (b+1) * 65536 / r
			bpf.StoreScratch{Src: bpf.RegA, N: memJ},
		)
	}
	return append(p, bpf.LoadScratch{Dst: bpf.RegA, N: memB})
}

// toSlot returns the slot of the bucket in A.
func (s selector) toSlot() []bpf.Instruction {
	if s.slots == nil {
		return []bpf.Instruction{bpf.RetA{}}
	}
	var p []bpf.Instruction
	for i, slot := range s.slots {
		p = append(p,
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(i), SkipFalse: 1},
			bpf.RetConstant{Val: uint32(slot)},
		)
	}
	fallback := 0
	if len(s.slots) > 0 {
		fallback = s.slots[0]
	}
	return append(p, bpf.RetConstant{Val: uint32(fallback)})
}
