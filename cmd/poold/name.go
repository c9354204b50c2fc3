package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/controlbus"
	"github.com/poold/poold/internal/rundir"
)

// namesakeTimeout bounds the search for another pool of the same name: a
// bus that does not answer meanwhile is passed over.
const namesakeTimeout = 5 * time.Second

// claimName makes sure that poolctl reaches this pool by its name: no
// other pool of the name may run where poolctl looks for pools, or poolctl
// would act on one of the two alone. poold takes the name's lock in BASE,
// so that of two poolds started at once from the same BASE one alone
// goes on, then looks for a namesake on every bus poolctl searches (the
// system and session buses, its user's private buses in other bases). A
// pool without a control plane (--bus none) claims nothing.
func claimName(root *os.Root, cfg config.Config) (*rundir.NameLock, error) {
	if cfg.Bus == dbusapi.BusModeNone {
		return nil, nil
	}
	lock, err := rundir.LockName(root, cfg.Name)
	var busy *rundir.NameBusyError
	if errors.As(err, &busy) {
		if err := findNamesake(cfg.Name); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("another pool named %s is starting (%v): stop it, or give this one another --name", cfg.Name, busy)
	}
	if err != nil {
		return nil, err
	}
	if err := findNamesake(cfg.Name); err != nil {
		return nil, errors.Join(err, lock.Release())
	}
	return lock, nil
}

func findNamesake(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), namesakeTimeout)
	defer cancel()
	return controlbus.FindNamesake(ctx, name, os.Getenv, os.Geteuid())
}

// releaseName lets the pool's name go, once.
func (d *runtimeDir) releaseName() error {
	if d.name == nil {
		return nil
	}
	err := d.name.Release()
	d.name = nil
	return err
}
