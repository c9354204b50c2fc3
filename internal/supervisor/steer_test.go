package supervisor

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The Steer function sees a worker ready before systemd is told the pool
// is: what it keeps in step (the distribution) is then in step when
// clients are let in.
func TestSteerSeesReadinessBeforeSystemd(t *testing.T) {
	n := &fakeNotifier{}
	var mu sync.Mutex
	var toldBefore []bool // for each snapshot with a ready worker: READY=1 sent already?
	p := startPoolWith(t, Options{Workers: 1}, n, func(sup *Supervisor) {
		err := sup.Steer(func(st Status) {
			if st.Ready == 0 {
				return
			}
			told := slices.ContainsFunc(n.messages(), func(m string) bool { return strings.HasPrefix(m, "READY: ") })
			mu.Lock()
			toldBefore = append(toldBefore, told)
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	p.ready(p.spawns()[0].req.ID)
	p.waitUntil("READY=1 sent", func(Status) bool {
		return slices.ContainsFunc(n.messages(), func(m string) bool { return strings.HasPrefix(m, "READY: ") })
	})
	mu.Lock()
	defer mu.Unlock()
	if len(toldBefore) == 0 || toldBefore[0] {
		t.Fatalf("steer saw the ready worker %v (true: after READY=1); want first before it", toldBefore)
	}
	if err := p.sup.Steer(func(Status) {}); !errors.Is(err, errSteerAfterRun) {
		t.Errorf("Steer after Run = %v, want errSteerAfterRun", err)
	}
}
