package dbusapi

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// systemd's manager on the system bus, which poolctl asks about the units
// of pools it reaches on no bus: a socket-activated pool before its first
// connection, or one whose poold failed.
const (
	systemdBusName   = "org.freedesktop.systemd1"
	systemdPath      = dbus.ObjectPath("/org/freedesktop/systemd1")
	systemdManager   = "org.freedesktop.systemd1.Manager"
	systemdUnitIface = "org.freedesktop.systemd1.Unit"
	systemdService   = "org.freedesktop.systemd1.Service"
	systemdSocket    = "org.freedesktop.systemd1.Socket"
)

// ErrNoSystemd: no systemd answers on the bus (a container, a machine
// that does not boot systemd).
var ErrNoSystemd = errors.New("no systemd on the bus")

// SystemdService is a service unit that runs poold, as systemd shows it.
type SystemdService struct {
	Unit        string   // "myapp.service"
	ActiveState string   // "inactive", "activating", "failed"...
	Result      string   // "success", "exit-code", "start-limit-hit"...
	ExecStart   []string // the argv of its ExecStart=
	Sockets     []SystemdSocket
}

// SystemdSocket is a socket unit that starts a service.
type SystemdSocket struct {
	Unit        string
	ActiveState string // "active" while it listens
	SubState    string // "listening", "running", "failed"...
	Result      string // "success", "service-start-limit-hit"...
	Listen      []string
}

// unitStatus is one entry of ListUnitsByPatterns.
type unitStatus struct {
	Name, Description, LoadState, ActiveState, SubState, Following string
	Path                                                           dbus.ObjectPath
	JobID                                                          uint32
	JobType                                                        string
	JobPath                                                        dbus.ObjectPath
}

// execCommand is one command of ExecStart=.
type execCommand struct {
	Path                 string
	Argv                 []string
	IgnoreFailure        bool
	StartRealtime        uint64
	StartMonotonic       uint64
	ExitRealtime         uint64
	ExitMonotonic        uint64
	PID                  uint32
	ExitCode, ExitStatus int32
}

// PooldServices lists the loaded services in one of states whose ExecStart=
// runs a program named poold, with their sockets.
func (b *Bus) PooldServices(ctx context.Context, states []string) ([]SystemdService, error) {
	var units []unitStatus
	err := b.conn.Object(systemdBusName, systemdPath).CallWithContext(ctx, systemdManager+".ListUnitsByPatterns", 0,
		states, []string{"*.service"}).Store(&units)
	if err != nil {
		var derr dbus.Error
		if asDBusError(err, &derr) && derr.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
			return nil, ErrNoSystemd
		}
		return nil, fmt.Errorf("ask systemd for services: %w", err)
	}
	var services []SystemdService
	for _, u := range units {
		s, ok, err := b.pooldService(ctx, u)
		if err != nil {
			return nil, err
		}
		if ok {
			services = append(services, s)
		}
	}
	return services, nil
}

func (b *Bus) pooldService(ctx context.Context, u unitStatus) (SystemdService, bool, error) {
	obj := b.conn.Object(systemdBusName, u.Path)
	var exec []execCommand
	if err := getProperty(ctx, obj, systemdService, "ExecStart", &exec); err != nil {
		return SystemdService{}, false, err
	}
	if len(exec) == 0 || filepath.Base(exec[0].Path) != "poold" {
		return SystemdService{}, false, nil
	}
	s := SystemdService{Unit: u.Name, ActiveState: u.ActiveState, ExecStart: exec[0].Argv}
	var triggeredBy []string
	if err := getProperty(ctx, obj, systemdService, "Result", &s.Result); err != nil {
		return s, false, err
	}
	if err := getProperty(ctx, obj, systemdUnitIface, "TriggeredBy", &triggeredBy); err != nil {
		return s, false, err
	}
	for _, name := range triggeredBy {
		sock, err := b.systemdSocket(ctx, name)
		if err != nil {
			return s, false, err
		}
		s.Sockets = append(s.Sockets, sock)
	}
	return s, true, nil
}

func (b *Bus) systemdSocket(ctx context.Context, name string) (SystemdSocket, error) {
	sock := SystemdSocket{Unit: name}
	var path dbus.ObjectPath
	err := b.conn.Object(systemdBusName, systemdPath).CallWithContext(ctx, systemdManager+".GetUnit", 0, name).Store(&path)
	if err != nil {
		return sock, fmt.Errorf("ask systemd for %s: %w", name, err)
	}
	obj := b.conn.Object(systemdBusName, path)
	var listen []struct{ Type, Address string }
	for _, p := range []struct {
		iface, name string
		dst         any
	}{
		{systemdUnitIface, "ActiveState", &sock.ActiveState},
		{systemdUnitIface, "SubState", &sock.SubState},
		{systemdSocket, "Result", &sock.Result},
		{systemdSocket, "Listen", &listen},
	} {
		if err := getProperty(ctx, obj, p.iface, p.name, p.dst); err != nil {
			return sock, err
		}
	}
	for _, l := range listen {
		sock.Listen = append(sock.Listen, l.Address)
	}
	return sock, nil
}

func getProperty(ctx context.Context, obj dbus.BusObject, iface, name string, dst any) error {
	var v dbus.Variant
	err := obj.CallWithContext(ctx, propertiesInterface+".Get", 0, iface, name).Store(&v)
	if err == nil {
		err = dbus.Store([]any{v.Value()}, dst)
	}
	if err != nil {
		return fmt.Errorf("ask systemd for %s of %s: %w", name, obj.Path(), err)
	}
	return nil
}
