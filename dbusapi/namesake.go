package dbusapi

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
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
		where = "private bus at " + e.Bus.SocketOrAddress()
	}
	return fmt.Sprintf("another pool named %s is running (%s, on the %s): stop it, or give this one another --name",
		e.Name, who, where)
}

func (e *NameTakenError) Is(target error) bool { return target == ErrNameTaken }

// Namesake returns a *NameTakenError if a pool called name is on the bus,
// nil if not or if the bus does not answer within ctx.
func (b *Bus) Namesake(ctx context.Context, name string) error {
	busName := BusName(name)
	var has bool
	obj := b.conn.BusObject()
	if obj.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&has) != nil || !has {
		return nil
	}
	return &NameTakenError{Name: name, Bus: b.Address, PID: ownerPID(ctx, b.conn, busName)}
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
