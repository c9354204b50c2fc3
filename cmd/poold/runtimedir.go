package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/controlbus"
	"github.com/poold/poold/internal/mode"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// namesakeTimeout bounds the search for another pool of the same name: a
// bus that does not answer meanwhile is passed over.
const namesakeTimeout = 5 * time.Second

// newRuntimeDir makes this poold's runtime directory in BASE (--runtime-dir,
// else rundir.Base), after the sweep of what poolds no longer running left
// there (a dbus-daemon that outlived its poold is killed). It claims the
// pool's name, so that poolctl reaches this pool by it: no other pool of
// the name may run where poolctl looks for pools (the system and session
// buses, its user's private buses in other bases), or poolctl would act on
// one of the two alone. A pool without a control plane (--bus none) claims
// nothing.
func newRuntimeDir(cfg config.Config, log *slog.Logger) (*rundir.Dir, error) {
	return rundir.Make(runtimeDirOptions(cfg, log))
}

func runtimeDirOptions(cfg config.Config, log *slog.Logger) rundir.Options {
	opts := rundir.Options{
		Base:     cfg.RuntimeDir,
		Name:     cfg.Name,
		Namesake: func() error { return findNamesake(cfg.Name) },
		StaleBus: func(dir string) { killBus(dir, log) },
		Log:      log,
	}
	if cfg.Bus == mode.BusNone {
		opts.Namesake = nil
	}
	return opts
}

func findNamesake(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), namesakeTimeout)
	defer cancel()
	return controlbus.FindNamesake(ctx, name, os.Getenv, os.Geteuid())
}

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
