package dbusapi

import "github.com/poold/poold/internal/mode"

// Bus modes: which bus poold serves its pool on (poold --bus, mode.Bus*);
// the choice itself is internal/buses'.
const (
	BusModeAuto    = mode.BusAuto
	BusModeSystem  = mode.BusSystem
	BusModeSession = mode.BusSession
	BusModePrivate = mode.BusPrivate
	BusModeNone    = mode.BusNone
)

// ParseBusMode checks a bus mode; "" is BusModeAuto.
func ParseBusMode(s string) (string, error) { return mode.ParseBus(s) }
