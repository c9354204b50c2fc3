package dbusapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// Bus modes: which bus poold serves its pool on (poold --bus).
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

// ServerBusOptions say which bus ConnectServer connects poold to.
type ServerBusOptions struct {
	Mode string // a bus mode (BusModeAuto...); "" is auto
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

// ServerConn is poold's connection to its bus.
type ServerConn struct {
	Conn    *dbus.Conn
	Kind    BusKind
	Address string

	private *privatebus.Bus // nil unless Kind is BusPrivate
	busDir  string
	busLock *os.File // the bus directory's lock, held while the bus runs
}

// Close closes the connection and stops the private bus, if any, removing
// its directory. A nil *ServerConn (BusModeNone) closes without error.
func (c *ServerConn) Close() error {
	if c == nil {
		return nil
	}
	err := c.Conn.Close()
	if c.private != nil {
		err = errors.Join(err, c.private.Close(), os.RemoveAll(c.busDir), c.busLock.Close())
	}
	if err != nil {
		return fmt.Errorf("d-bus: close the %s bus: %w", c.Kind, err)
	}
	return nil
}

// ConnectServer connects poold to the bus its pool is served on, starting a
// private bus if that is the one. It does not take the pool's name: the
// Server does. For BusModeNone it returns nil and no error. ctx bounds the
// connection only; the connection and the bus last until Close.
func ConnectServer(ctx context.Context, opts ServerBusOptions) (*ServerConn, error) {
	mode, err := ParseBusMode(opts.Mode)
	if err != nil {
		return nil, err
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	switch mode {
	case BusModeNone:
		return nil, nil
	case BusModeSystem:
		return connectShared(ctx, BusSystem, systemAddress(opts.Getenv))
	case BusModeSession:
		addr, ok := sessionAddress(opts.Getenv)
		if !ok {
			return nil, errors.New("d-bus: no session bus: DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus")
		}
		return connectShared(ctx, BusSession, addr)
	case BusModePrivate:
		return startPrivate(ctx, opts)
	}
	kind, addr := BusSystem, systemAddress(opts.Getenv)
	if !opts.UnderSystemd || opts.Getenv("MANAGERPID") != "" {
		var ok bool
		if addr, ok = sessionAddress(opts.Getenv); !ok {
			return startPrivate(ctx, opts)
		}
		kind = BusSession
	}
	c, err := connectShared(ctx, kind, addr)
	if err == nil || ctx.Err() != nil {
		return c, err
	}
	opts.Log.Warn("d-bus: falling back to a private bus", "err", err)
	return startPrivate(ctx, opts)
}

func connectShared(ctx context.Context, kind BusKind, addr string) (*ServerConn, error) {
	conn, err := dialBus(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("d-bus: %s bus %s: %w", kind, addr, err)
	}
	return &ServerConn{Conn: conn, Kind: kind, Address: addr}, nil
}

func startPrivate(ctx context.Context, opts ServerBusOptions) (*ServerConn, error) {
	if opts.RuntimeDir == "" {
		return nil, errors.New("d-bus: a private bus needs the pool's runtime directory")
	}
	dir := rundir.BusDir(opts.RuntimeDir)
	lock, err := lockBusDir(dir)
	if err != nil {
		return nil, fmt.Errorf("d-bus: private bus: %w", err)
	}
	bus, err := privatebus.Start(ctx, dir, opts.Log)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("d-bus: %w", err), os.RemoveAll(dir), lock.Close())
	}
	conn, err := dialBus(ctx, bus.Address())
	if err != nil {
		err = fmt.Errorf("d-bus: private bus %s: %w", bus.Address(), err)
		return nil, errors.Join(err, bus.Close(), os.RemoveAll(dir), lock.Close())
	}
	opts.Log.Info("d-bus: started a private bus", "socket", filepath.Join(dir, privatebus.SocketName))
	return &ServerConn{Conn: conn, Kind: BusPrivate, Address: bus.Address(), private: bus, busDir: dir, busLock: lock}, nil
}

// lockBusDir makes the bus directory and takes its lock, which tells the
// sweep of the next poold that this bus is alive, whatever happens to the
// runtime directory beside it.
func lockBusDir(dir string) (*os.File, error) {
	if err := os.Mkdir(dir, 0o711); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	return rundir.Lock(dir)
}

// dialBus connects and says hello within ctx. Not with dbus.WithContext: it
// ties the connection's whole life to the context.
func dialBus(ctx context.Context, addr string) (*dbus.Conn, error) {
	conn, err := dbus.Dial(addr)
	if err != nil {
		return nil, err
	}
	errc := make(chan error, 1)
	go func() {
		if err := conn.Auth(nil); err != nil {
			errc <- fmt.Errorf("authenticate: %w", err)
			return
		}
		errc <- conn.Hello()
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		conn.Close() // ends the handshake
		<-errc
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
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
