package mode

import (
	"fmt"
	"testing"
)

// roundTrip checks that every value parses back from its name and that an
// unknown name is refused.
func roundTrip[M fmt.Stringer](t *testing.T, parse func(string) (M, error), values ...M) {
	t.Helper()
	for _, m := range values {
		if got, err := parse(m.String()); err != nil || got.String() != m.String() {
			t.Errorf("parse(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := parse("bogus"); err == nil {
		t.Error(`parse("bogus") succeeded`)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	roundTrip(t, ParseReady, ReadyAuto, ReadyNotify, ReadyListening, ReadyDelay)
	roundTrip(t, ParseDistribution, Shared, Balanced, Sticky)
	roundTrip(t, ParseNodePreload, NodePreloadAuto, NodePreloadOff)
	roundTrip(t, ParseCgroups, CgroupsAuto, CgroupsOn, CgroupsOff)
	roundTrip(t, ParseWorkerLogs, LogsAuto, LogsJournal, LogsPrefix, LogsInherit)
}

func TestParseBus(t *testing.T) {
	for give, want := range map[string]string{"": BusAuto, "auto": BusAuto, "private": BusPrivate, "none": BusNone} {
		if got, err := ParseBus(give); err != nil || got != want {
			t.Errorf("ParseBus(%q) = %q, %v; want %q", give, got, err, want)
		}
	}
	if _, err := ParseBus("tcp"); err == nil {
		t.Error(`ParseBus("tcp") succeeded`)
	}
}

func TestWorkerLogsResolve(t *testing.T) {
	for _, tt := range []struct {
		give    WorkerLogs
		journal bool
		want    WorkerLogs
	}{
		{LogsAuto, true, LogsJournal}, {LogsAuto, false, LogsPrefix}, {LogsInherit, true, LogsInherit},
	} {
		if got := tt.give.Resolve(tt.journal); got != tt.want {
			t.Errorf("%v.Resolve(%v) = %v, want %v", tt.give, tt.journal, got, tt.want)
		}
	}
}
