package main

import (
	"log/slog"

	"github.com/poold/poold/internal/privatebus"
)

// killBus kills the dbus-daemon of a stale pool's private bus if it
// survived its poold (see rundir.Sweep).
func killBus(dir string, log *slog.Logger) {
	killed, err := privatebus.KillStale(dir)
	switch {
	case err != nil:
		log.Warn("stale private bus", "dir", dir, "err", err)
	case killed:
		log.Info("killed the dbus-daemon of a stale pool", "dir", dir)
	}
}
