package dbusapi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/internal/rundir"
)

// NameTakenError: a pool of the name is already running where poolctl
// looks for pools, so that poolctl would reach one of the two alone. It
// matches ErrNameTaken.
type NameTakenError struct {
	Name string
	Bus  Address
	PID  uint32 // the other poold's, 0 if its bus does not tell
}

func (e *NameTakenError) Error() string {
	who := "another poold"
	if e.PID != 0 {
		who = fmt.Sprintf("poold pid %d", e.PID)
	}
	where := e.Bus.Kind.String() + " bus"
	if e.Bus.Kind == BusPrivate {
		where = "private bus at " + socketOf(e.Bus.Address)
	}
	return fmt.Sprintf("another pool named %s is running (%s, on the %s): stop it, or give this one another --name",
		e.Name, who, where)
}

func (e *NameTakenError) Is(target error) bool { return target == ErrNameTaken }

// FindNamesake looks for a running pool called name wherever poolctl run
// by uid with this environment would look: the system bus, the session
// bus, and the private buses of uid's own pools (other users' are
// searched after one's own, so they shadow nothing). It returns a
// *NameTakenError for the first it finds, nil if none; a bus that cannot
// be reached within ctx is passed over.
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
func namesakeBuses(getenv func(string) string, uid int, name string) []Address {
	var addrs []Address
	for _, a := range candidates(getenv, uid) {
		if a.Kind == BusPrivate {
			sock := socketOf(a.Address)
			if fileOwner(sock, os.ModeSocket) != uid || !rundir.MayBeOf(filepath.Base(filepath.Dir(sock)), name) {
				continue
			}
		}
		addrs = append(addrs, a)
	}
	return addrs
}

// namesakeOn returns a *NameTakenError if pool name is on the bus at addr.
func namesakeOn(ctx context.Context, addr Address, name string) error {
	bus, err := Dial(ctx, addr)
	if err != nil {
		return nil
	}
	defer bus.Close()
	busName := BusName(name)
	var has bool
	obj := bus.conn.BusObject()
	if obj.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&has) != nil || !has {
		return nil
	}
	return &NameTakenError{Name: name, Bus: addr, PID: ownerPID(ctx, bus.conn, busName)}
}

// ownerPID is the PID of the process owning busName, 0 if the bus does not
// tell.
func ownerPID(ctx context.Context, conn *dbus.Conn, busName string) uint32 {
	var pid uint32
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, busName).Store(&pid)
	if err != nil {
		return 0
	}
	return pid
}
