package main

import (
	"bytes"
	"testing"

	"github.com/poold/poold/dbusapi"
)

// After a failed reload to generation 2 the pool is at 1, with a worker of
// 2 that stayed: the next reload, to 3, prints only its own workers.
func TestReloadProgressSkipsAFailedReloadsWorkers(t *testing.T) {
	leftover := dbusapi.WorkerInfo{ID: 5, Slot: 0, PID: 105, State: "ready", Generation: 2}
	before := dbusapi.Status{Pool: dbusapi.PoolInfo{Generation: 1}, Workers: []dbusapi.WorkerInfo{
		leftover, {ID: 2, Slot: 1, PID: 102, State: "ready", Generation: 1},
	}}
	var out bytes.Buffer
	p := newProgress(&out, newestGeneration(before))
	p.update(dbusapi.Status{Workers: []dbusapi.WorkerInfo{
		leftover, {ID: 7, Slot: 1, PID: 107, State: "ready", Generation: 3},
	}})
	if want := "slot 1: worker 107 ready (generation 3)\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}
