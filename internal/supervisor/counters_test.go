package supervisor

import (
	"maps"
	"testing"
	"time"
)

func TestCountersAddUpStartsExitsAndReloads(t *testing.T) {
	p, old := readyPool(t, Options{Workers: 2}, nil)
	p.crash(old[0].req.ID)
	p.advance(time.Second) // past the restart delay
	p.ready(p.waitSpawns(3)[2].req.ID)
	done := p.reload()
	p.ready(p.waitSpawns(4)[3].req.ID)
	p.exit(p.spawns()[2].req.ID, 0) // slot 0's old worker, stopped by the reload
	p.ready(p.waitSpawns(5)[4].req.ID)
	p.exit(old[1].req.ID, 0)
	if res := <-done; res.err != nil {
		t.Fatal(res.err)
	}
	snap := p.status().Counters
	want := map[string]int{"crash": 1, "planned": 2}
	if snap.Started != 5 || !maps.Equal(snap.Exits, want) || snap.Reloads != 1 || snap.ReloadsFailed != 0 {
		t.Errorf("counters %+v, want 5 started, exits %v, 1 reload", snap, want)
	}
	p.crash(p.spawns()[3].req.ID)
	if snap.Exits["crash"] != 1 || p.status().Counters.Exits["crash"] != 2 {
		t.Error("a snapshot's counters changed with a later exit, or the exit was not counted")
	}
}
