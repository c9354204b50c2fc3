package dbusapi

import "fmt"

// Bus modes: which bus poold serves its pool on (poold --bus); the choice
// itself is internal/buses'.
const (
	// BusModeAuto: the system bus for a system service, else the session
	// bus if there is one, else a private bus.
	BusModeAuto    = "auto"
	BusModeSystem  = "system"
	BusModeSession = "session"
	// BusModePrivate: a dbus-daemon of poold's own (internal/privatebus).
	BusModePrivate = "private"
	// BusModeNone: no control plane.
	BusModeNone = "none"
)

// ParseBusMode checks a bus mode; "" is BusModeAuto.
func ParseBusMode(s string) (string, error) {
	switch s {
	case "":
		return BusModeAuto, nil
	case BusModeAuto, BusModeSystem, BusModeSession, BusModePrivate, BusModeNone:
		return s, nil
	}
	return "", fmt.Errorf("bus mode %q: want auto, system, session, private or none", s)
}
