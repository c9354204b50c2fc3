package distribute

import (
	"fmt"
	"testing"

	"github.com/poold/poold/activation"
)

// A sticky group handed over keeps its program attached and each client
// address on its slot, even one whose worker is not ready at the
// takeover: the slots that had a ready worker keep counting.
func TestHandedGroupKeepsItsSlots(t *testing.T) {
	old, slots := newGroup(t, Sticky, 3)
	if err := old.Update(View{Target: 3, Ready: allReady(3), Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	from := func(i int) string { return fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250) }
	before := make([]int, 60)
	for i := range before {
		before[i] = slotOf(t, slots, from(i))
	}
	h := old.HandOver()
	if len(h.Slots) != 2 || h.Slots[0].Name != activation.SlotStoreName(1) {
		t.Fatalf("handed slots %+v, want the replicas of slots 1 and 2", h.Slots)
	}
	succ, err := NewGroup(Sticky, slots[0], quiet, Keep{Stored: h.Slots, Handed: &Handed{EverReady: h.EverReady}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(succ.Close)
	// Before the pool's first view: the old program still picks.
	for i, want := range before {
		if got := slotOf(t, slots, from(i)); got != want {
			t.Fatalf("%s reached slot %d before the first view, want %d", from(i), got, want)
		}
	}
	// Slot 1's worker is restarting at the takeover.
	if err := succ.Update(View{Target: 3, Ready: []bool{true, false, true}, Occupied: allReady(3)}); err != nil {
		t.Fatal(err)
	}
	for i, want := range before {
		if got := slotOf(t, slots, from(i)); got != want {
			t.Errorf("%s reached slot %d after the takeover, want %d", from(i), got, want)
		}
	}
}
