package distribute

import (
	"slices"

	"github.com/poold/poold/activation"
)

// Handed is what a group hands over across an upgrade in place besides
// its sockets: the program stays attached in the kernel.
type Handed struct {
	// Slots are the replicas of slots 1 and up, named
	// activation.SlotStoreName(slot) as Keep.Stored takes them back.
	Slots []activation.Socket `json:"-"`
	// EverReady are the slots that have had a ready worker (sticky).
	EverReady []bool
}

// HandOver returns the group for the poold that an upgrade in place
// execs: its reuseport groups and their program stay as they are. The
// group changes nothing from then on.
func (g *Group) HandOver() Handed {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	h := Handed{EverReady: slices.Clone(g.everReady)}
	for slot, socks := range g.slots[1:] {
		for i, s := range socks {
			if g.spread[i] {
				s.Name = activation.SlotStoreName(slot + 1)
				h.Slots = append(h.Slots, s)
			}
		}
	}
	return h
}
