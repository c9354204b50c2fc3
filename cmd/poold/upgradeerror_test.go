package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/supervisor"
)

// An upgrade that does not start is named on the bus by why: busy while
// something else runs, failed otherwise; the message is the upgrader's.
func TestUpgradeErrorNames(t *testing.T) {
	broken := errors.New("/usr/bin/poold --version: exit status 127: reinstall poold, then retry")
	for _, tt := range []struct {
		give error
		want error
	}{
		{errUpgradeRunning, dbusapi.ErrBusy},
		{fmt.Errorf("upgrade: %w", supervisor.ErrBusy), dbusapi.ErrBusy},
		{broken, dbusapi.ErrUpgradeFailed},
	} {
		got := upgradeError(tt.give)
		if !errors.Is(got, tt.want) || got.Error() != tt.give.Error() {
			t.Errorf("upgradeError(%v) = %v; want it named %v, with the same message", tt.give, got, tt.want)
		}
	}
	if upgradeError(nil) != nil {
		t.Error("upgradeError(nil) is not nil")
	}
}
