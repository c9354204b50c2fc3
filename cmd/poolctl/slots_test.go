package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
)

func TestWriteStatusFailingSlots(t *testing.T) {
	st := testStatus()
	st.Pool.State = "crash-looping"
	st.Pool.FailingSlots = []dbusapi.SlotInfo{
		{Slot: 0, CrashLooping: true, Failures: 3, LastExit: "exit code 1 before it was ready",
			LastOutput: []string{"Error: listen EINVAL", "evil\x1b[2J"}, NextStartUSec: uint64(testNow.Add(1600 * time.Millisecond).UnixMicro())},
		{Slot: 1, Failures: 1, LastExit: "not ready after 1m0s"},
	}
	var b bytes.Buffer
	if err := writeStatus(&b, st, view{now: testNow}); err != nil {
		t.Fatal(err)
	}
	want := `        Bus: system (unix:path=/run/dbus/system_bus_socket)
     Slot 0: crash-looping, 3 failures in a row; next start in 2s
             exit code 1 before it was ready
             > Error: listen EINVAL
             > evil\x1b[2J
     Slot 1: failing, 1 failure in a row
             not ready after 1m0s

SLOT`
	if !strings.Contains(b.String(), want) {
		t.Errorf("status view:\n%s\nwant in it:\n%s", b.String(), want)
	}
}
