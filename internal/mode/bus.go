package mode

import "fmt"

// Bus modes: which bus poold serves its pool on (--bus).
const (
	// BusAuto: the system bus for a system service, else the session bus
	// if there is one, else a private bus.
	BusAuto    = "auto"
	BusSystem  = "system"
	BusSession = "session"
	// BusPrivate: a dbus-daemon of poold's own (internal/privatebus).
	BusPrivate = "private"
	// BusNone: no control plane.
	BusNone = "none"
)

// ParseBus checks a bus mode; "" is BusAuto.
func ParseBus(s string) (string, error) {
	switch s {
	case "":
		return BusAuto, nil
	case BusAuto, BusSystem, BusSession, BusPrivate, BusNone:
		return s, nil
	}
	return "", fmt.Errorf("bus mode %q: want auto, system, session, private or none", s)
}
