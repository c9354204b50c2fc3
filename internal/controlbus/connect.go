package controlbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/mode"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// Options say which bus poold serves its pool on.
type Options struct {
	Mode string // a bus mode (mode.BusAuto...); "" is auto
	// UnderSystemd: poold was started by systemd (INVOCATION_ID is set). It
	// is a system service unless MANAGERPID is set, which only the user
	// manager sets.
	UnderSystemd bool
	// RuntimeDir is the pool's runtime directory; a private bus goes in
	// rundir.BusDir(RuntimeDir), beside it.
	RuntimeDir string
	Getenv     func(string) string // os.Getenv if nil
	Log        *slog.Logger        // discards if nil
}

// Conn is poold's connection to its bus.
type Conn struct {
	Conn    *dbus.Conn
	Kind    dbusapi.BusKind
	Address string

	private *privatebus.Bus // nil unless Kind is BusPrivate
	busDir  *rundir.HeldBusDir
}

// DaemonPidFD is the pidfd of the private bus's running dbus-daemon, -1
// for another bus or when there is none.
func (c *Conn) DaemonPidFD() int {
	if c == nil || c.private == nil {
		return -1
	}
	return c.private.PidFD()
}

// Close closes the connection and stops the private bus, if any, removing
// its directory. A nil *Conn (mode.BusNone) closes without error.
func (c *Conn) Close() error {
	if c == nil {
		return nil
	}
	err := c.Conn.Close()
	if c.private != nil {
		err = errors.Join(err, c.private.Close(), c.busDir.Remove())
	}
	if err != nil {
		return fmt.Errorf("d-bus: close the %s bus: %w", c.Kind, err)
	}
	return nil
}

// connect connects poold to the bus opts.Mode names, starting a private
// bus if that is the one; it never falls back (Serve does). For
// mode.BusNone it returns nil and no error. ctx bounds the connection only;
// the connection and the bus last until Close.
func connect(ctx context.Context, opts Options) (*Conn, error) {
	bus, err := mode.ParseBus(opts.Mode)
	if err != nil {
		return nil, err
	}
	switch bus {
	case mode.BusNone:
		return nil, nil
	case mode.BusSystem:
		return connectShared(ctx, dbusapi.BusSystem, systemAddress(opts.Getenv))
	case mode.BusSession:
		addr, ok := sessionAddress(opts.Getenv)
		if !ok {
			return nil, errors.New("d-bus: no session bus: DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus")
		}
		return connectShared(ctx, dbusapi.BusSession, addr)
	case mode.BusPrivate:
		return startPrivate(ctx, opts)
	}
	if kind, addr, ok := autoBus(opts); ok {
		return connectShared(ctx, kind, addr)
	}
	return startPrivate(ctx, opts)
}

func (opts Options) withDefaults() Options {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return opts
}

// autoBus is the shared bus mode.BusAuto tries first: the system bus for a
// system service, else the session bus; false if there is none, and then
// mode.BusAuto goes straight to a private bus.
func autoBus(opts Options) (dbusapi.BusKind, string, bool) {
	if opts.UnderSystemd && opts.Getenv("MANAGERPID") == "" {
		return dbusapi.BusSystem, systemAddress(opts.Getenv), true
	}
	addr, ok := sessionAddress(opts.Getenv)
	return dbusapi.BusSession, addr, ok
}

func connectShared(ctx context.Context, kind dbusapi.BusKind, addr string) (*Conn, error) {
	bus, err := dbusapi.Dial(ctx, dbusapi.Address{Kind: kind, Address: addr})
	if err != nil {
		return nil, fmt.Errorf("d-bus: %w", err)
	}
	return &Conn{Conn: bus.Conn(), Kind: kind, Address: addr}, nil
}

func startPrivate(ctx context.Context, opts Options) (*Conn, error) {
	if opts.RuntimeDir == "" {
		return nil, errors.New("d-bus: a private bus needs the pool's runtime directory")
	}
	dir, err := rundir.MakeBusDir(opts.RuntimeDir)
	if err != nil {
		return nil, fmt.Errorf("d-bus: private bus: %w", err)
	}
	bus, err := privatebus.Start(ctx, dir.Path, opts.Log)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("d-bus: %w", err), dir.Remove())
	}
	client, err := dbusapi.Dial(ctx, dbusapi.Address{Kind: dbusapi.BusPrivate, Address: bus.Address()})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("d-bus: %w", err), bus.Close(), dir.Remove())
	}
	opts.Log.Info("d-bus: started a private bus", "socket", filepath.Join(dir.Path, privatebus.SocketName))
	return &Conn{Conn: client.Conn(), Kind: dbusapi.BusPrivate, Address: bus.Address(), private: bus, busDir: dir}, nil
}

// systemAddress is the system bus's address.
func systemAddress(getenv func(string) string) string {
	if a := getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/run/dbus/system_bus_socket"
}

// sessionAddress is the session bus's address: DBUS_SESSION_BUS_ADDRESS,
// else $XDG_RUNTIME_DIR/bus if that socket exists (systemd's user bus).
func sessionAddress(getenv func(string) string) (string, bool) {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a, true
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		p := filepath.Join(d, "bus")
		if isSocket(p) {
			return unixPath(p), true
		}
	}
	return "", false
}

func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Type() == os.ModeSocket
}

func unixPath(path string) string { return "unix:path=" + dbus.EscapeBusAddressValue(path) }
