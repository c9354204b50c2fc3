package distribute

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
)

// Store keeps sockets across a restart of poold: systemd's fd store
// (activation.Notifier, a no-op outside systemd).
type Store interface {
	StoreFDs(name string, files ...*os.File) error
	RemoveFDs(name string) error
	Barrier(timeout time.Duration) error
}

// Keep is where a group keeps its slots' sockets, so that a poold that
// crashed and was restarted finds the same reuseport group, its queued
// connections and its program, instead of closing the group's sockets
// (and resetting what waited on them) and binding new ones.
type Keep struct {
	Store Store // nil: nowhere
	// Stored are the sockets a previous poold kept, named
	// activation.SlotStoreName(slot). The group takes back slots 1, 2...
	// as long as each has one socket on the address of each spread pool
	// socket, with SO_REUSEPORT; from the first slot that does not, the
	// rest are closed and removed from Store, so that socket i of the
	// group's array stays slot i's.
	Stored []activation.Socket
	// Handed, when set, is the group as the poold before an upgrade in
	// place handed it over (see HandOver): its program stays attached as
	// it was until the pool's first view, and the slots that have had a
	// ready worker keep that (sticky).
	Handed *Handed
}

// barrierTimeout bounds the wait for systemd to close the sockets
// dropped at start: it answers in milliseconds unless it is stuck.
const barrierTimeout = 5 * time.Second

// takeBack makes the slots of stored the group's first ones, and drops
// what does not fit.
func (g *Group) takeBack(stored []activation.Socket) {
	bySlot := map[int][]activation.Socket{}
	var unnamed []activation.Socket
	for _, s := range stored {
		if slot, ok := activation.ParseSlotStoreName(s.Name); ok && slot > 0 {
			bySlot[slot] = append(bySlot[slot], s)
		} else {
			unnamed = append(unnamed, s)
		}
	}
	g.drop(unnamed, "not a slot's name")
	for slot := 1; len(bySlot[slot]) > 0; slot++ {
		socks, err := g.match(bySlot[slot])
		if err != nil {
			g.drop(bySlot[slot], err.Error())
			delete(bySlot, slot)
			break
		}
		g.slots = append(g.slots, socks)
		delete(bySlot, slot)
	}
	var rest []activation.Socket
	for _, slot := range slices.Sorted(maps.Keys(bySlot)) {
		rest = append(rest, bySlot[slot]...)
	}
	g.drop(rest, fmt.Sprintf("slot %d was not kept: a slot keeps its place in the group only after all below it", len(g.slots)))
	if taken := len(g.slots) - 1; taken > 0 {
		g.log.Info("distribution: took back the sockets a previous poold kept in systemd's fd store", "slots", taken)
	}
}

// match orders a stored slot's sockets as the pool sockets, or tells why
// they cannot be that slot's.
func (g *Group) match(stored []activation.Socket) ([]activation.Socket, error) {
	socks := make([]activation.Socket, len(g.base))
	for _, s := range stored {
		i := slices.IndexFunc(g.base, func(b activation.Socket) bool { return b.Network == s.Network && b.Addr == s.Addr })
		if i < 0 || !g.spread[i] || socks[i].File != nil {
			return nil, fmt.Errorf("%s %s is not the address of a spread pool socket", s.Network, s.Addr)
		}
		if on, err := activation.ReusePort(s); err != nil || !on {
			return nil, errors.Join(fmt.Errorf("%s has no SO_REUSEPORT", s.Addr), err)
		}
		s.Name, s.Backlog = g.base[i].Name, g.base[i].Backlog
		if s.Backlog <= 0 {
			s.Backlog = unix.SOMAXCONN // as Replicate makes it
		}
		socks[i] = s
	}
	for i, b := range g.base {
		switch {
		case !g.spread[i]:
			socks[i] = b
		case socks[i].File == nil:
			return nil, fmt.Errorf("no socket on %s", b.Addr)
		}
	}
	return socks, nil
}

// drop closes stored sockets the group does not take back, highest slot
// first, and has systemd close its copies before anything new joins the
// group: a socket leaving a reuseport group moves the last one into its
// place.
func (g *Group) drop(stored []activation.Socket, reason string) {
	if len(stored) == 0 {
		return
	}
	stored = slices.Clone(stored)
	slices.SortStableFunc(stored, func(a, b activation.Socket) int { return storedSlot(b) - storedSlot(a) })
	var names []string
	for _, s := range stored {
		g.log.Warn("distribution: dropped a socket a previous poold kept", "name", s.Name, "address", s.Addr, "reason", reason)
		if err := s.File.Close(); err != nil {
			g.log.Warn("distribution: close a stored socket", "name", s.Name, "err", err)
		}
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	if g.store == nil {
		return
	}
	for _, name := range names {
		if err := g.store.RemoveFDs(name); err != nil {
			g.log.Warn("distribution: remove from systemd's fd store", "name", name, "err", err)
		}
	}
	if err := g.store.Barrier(barrierTimeout); err != nil {
		g.log.Warn("distribution: systemd may still hold the dropped sockets", "err", err)
	}
}

// keep stores a new slot's replicas.
func (g *Group) keep(slot int, socks []activation.Socket) {
	if g.store == nil {
		return
	}
	var files []*os.File
	for i, s := range socks {
		if g.spread[i] {
			files = append(files, s.File)
		}
	}
	if err := g.store.StoreFDs(activation.SlotStoreName(slot), files...); err != nil {
		g.log.Warn("distribution: keep a slot's sockets in systemd's fd store", "slot", slot, "err", err)
	}
}

// unkeep removes a slot's replicas from the store before they close.
func (g *Group) unkeep(slot int) {
	if g.store == nil {
		return
	}
	if err := g.store.RemoveFDs(activation.SlotStoreName(slot)); err != nil {
		g.log.Warn("distribution: remove a slot's sockets from systemd's fd store", "slot", slot, "err", err)
	}
}

// storedSlot is the slot a stored socket's name gives, -1 for none.
func storedSlot(s activation.Socket) int {
	if slot, ok := activation.ParseSlotStoreName(s.Name); ok {
		return slot
	}
	return -1
}
