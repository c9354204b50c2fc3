package distribute

import "github.com/poold/poold/activation"

// HandOver returns the replicas of slots 1 and up, named
// activation.SlotStoreName(slot) as Keep.Stored takes them back, for the
// poold that an upgrade in place execs: their reuseport group and its
// program stay as they are. The group changes nothing from then on.
func (g *Group) HandOver() []activation.Socket {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	var out []activation.Socket
	for slot, socks := range g.slots[1:] {
		for i, s := range socks {
			if g.spread[i] {
				s.Name = activation.SlotStoreName(slot + 1)
				out = append(out, s)
			}
		}
	}
	return out
}
