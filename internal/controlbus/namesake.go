package controlbus

import (
	"context"
	"os"
	"path/filepath"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/rundir"
)

// FindNamesake looks for a running pool called name wherever poolctl run
// by uid with this environment would look: the system bus, the session
// bus, and the private buses of uid's own pools (other users' are
// searched after one's own, so they shadow nothing). It returns a
// *dbusapi.NameTakenError for the first it finds, nil if none; a bus that
// cannot be reached within ctx is passed over.
func FindNamesake(ctx context.Context, name string, getenv func(string) string, uid int) error {
	for _, addr := range namesakeBuses(getenv, uid, name) {
		if err := namesakeOn(ctx, addr, name); err != nil {
			return err
		}
	}
	return nil
}

// namesakeBuses are the buses that may hold pool name: Candidates without
// other users' private buses and those whose directory is another pool's.
func namesakeBuses(getenv func(string) string, uid int, name string) []dbusapi.Address {
	var addrs []dbusapi.Address
	for _, a := range candidates(getenv, uid) {
		if a.Kind == dbusapi.BusPrivate {
			sock := a.SocketOrAddress()
			if fileOwner(sock, os.ModeSocket) != uid || !rundir.MayBeOf(filepath.Base(filepath.Dir(sock)), name) {
				continue
			}
		}
		addrs = append(addrs, a)
	}
	return addrs
}

// namesakeOn returns a *dbusapi.NameTakenError if pool name is on the bus
// at addr.
func namesakeOn(ctx context.Context, addr dbusapi.Address, name string) error {
	bus, err := dbusapi.Dial(ctx, addr)
	if err != nil {
		return nil
	}
	defer bus.Close()
	return bus.Namesake(ctx, name)
}
