package main

import (
	"fmt"
	"io"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

// writeFailingSlots prints each slot without a ready worker whose last
// worker failed: how, and its last stderr lines, so that a pool that never
// gets ready says why without a trip to the logs.
//
//	Slot 0: crash-looping, 3 failures in a row; next start in 2s
//	        exit code 1 before it was ready
//	        > Error: Cannot find module 'express'
func writeFailingSlots(w io.Writer, slots []dbusapi.SlotInfo, now time.Time) {
	for _, s := range slots {
		state := "failing"
		if s.CrashLooping {
			state = "crash-looping"
		}
		head := fmt.Sprintf("%s, %s in a row", state, plural.Of(int(s.Failures), "failure"))
		if s.NextStartUSec != 0 {
			head += "; next start in " + humanDuration(time.UnixMicro(int64(s.NextStartUSec)).Sub(now).Round(time.Second))
		}
		lines := []string{head, s.LastExit}
		for _, l := range s.LastOutput {
			lines = append(lines, "> "+l)
		}
		field(w, fmt.Sprintf("Slot %d", s.Slot), lines...)
	}
}
