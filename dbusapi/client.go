package dbusapi

import (
	"context"
	"fmt"
	"sort"

	"github.com/godbus/dbus/v5"
	"github.com/poold/poold/internal/enum"
)

// BusKind says which bus a pool is on.
type BusKind int

const (
	// BusSystem: poold runs under systemd as a system service.
	BusSystem BusKind = iota + 1
	// BusSession: the user's session bus.
	BusSession
	// BusPrivate: a dbus-daemon poold started itself, with its socket in the
	// pool's runtime directory.
	BusPrivate
)

var busKinds = enum.Names[BusKind]{What: "bus", Type: "BusKind", Names: []string{"system", "session", "private"}}

func (k BusKind) String() string { return busKinds.String(k) }

// Address is a bus poolctl may find pools on.
type Address struct {
	Kind    BusKind
	Address string // a D-Bus address, e.g. "unix:path=/run/dbus/system_bus_socket"
}

// Bus is a client connection to one bus.
type Bus struct {
	Address Address
	conn    *dbus.Conn
}

// Dial connects to the bus at a and says hello. ctx bounds the handshake
// only; the connection lives until Close.
func Dial(ctx context.Context, a Address) (*Bus, error) {
	conn, err := dbus.Dial(a.Address)
	if err != nil {
		return nil, fmt.Errorf("%s bus %s: %w", a.Kind, a.Address, err)
	}
	handshake := make(chan error, 1)
	go func() {
		if err := conn.Auth(nil); err != nil {
			handshake <- fmt.Errorf("authenticate: %w", err)
			return
		}
		handshake <- conn.Hello()
	}()
	select {
	case err = <-handshake:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		conn.Close() // also ends a handshake still waiting on the bus
		return nil, fmt.Errorf("%s bus %s: %w", a.Kind, a.Address, err)
	}
	return &Bus{Address: a, conn: conn}, nil
}

// Close closes the connection.
func (b *Bus) Close() error { return b.conn.Close() }

// Conn is the underlying connection, for callers that need raw access.
func (b *Bus) Conn() *dbus.Conn { return b.conn }

// Pools lists the names of the pools on this bus, sorted.
func (b *Bus) Pools(ctx context.Context) ([]string, error) {
	var names []string
	err := b.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListNames", 0).Store(&names)
	if err != nil {
		return nil, fmt.Errorf("list names on the %s bus: %w", b.Address.Kind, err)
	}
	var pools []string
	for _, n := range names {
		if pool, ok := PoolName(n); ok {
			pools = append(pools, pool)
		}
	}
	sort.Strings(pools)
	return pools, nil
}

// Pool is a handle on one pool; calls fail if it is not on the bus.
func (b *Bus) Pool(name string) *Pool {
	return &Pool{Name: name, bus: b, obj: b.conn.Object(BusName(name), ManagerPath)}
}

// Pool is the client side of one pool's Manager object.
type Pool struct {
	Name string
	bus  *Bus
	obj  dbus.BusObject
}

// Bus is the bus the pool is on.
func (p *Pool) Bus() *Bus { return p.bus }

// Status reads the pool's properties and its workers.
func (p *Pool) Status(ctx context.Context) (Status, error) {
	var st Status
	var props map[string]dbus.Variant
	err := p.obj.CallWithContext(ctx, propertiesInterface+".GetAll", 0, ManagerInterface).Store(&props)
	if err != nil {
		return st, p.wrap("read status", err)
	}
	if err := decodeProps(props, &st.Pool); err != nil {
		return st, fmt.Errorf("pool %s: %w", p.Name, err)
	}
	if err := p.call(ctx, "ListWorkers").Store(&st.Workers); err != nil {
		return st, p.wrap("list workers", err)
	}
	return st, nil
}

// Scale sets the target worker count; flags may hold ScaleAllowZero.
func (p *Pool) Scale(ctx context.Context, workers int32, flags uint64) error {
	return p.wrap("scale", p.call(ctx, "Scale", workers, flags).Err)
}

// Reload rolls every worker over to a new generation and returns it once
// every slot runs it. A failed reload is an error matching ErrReloadFailed.
func (p *Pool) Reload(ctx context.Context) (generation uint32, err error) {
	err = p.call(ctx, "Reload", uint64(0)).Store(&generation)
	return generation, p.wrap("reload", err)
}

// RestartWorker replaces the worker of one slot the way Reload does: the new
// one starts first, the old one drains once it is ready.
func (p *Pool) RestartWorker(ctx context.Context, slot uint32) error {
	return p.wrap("restart worker", p.call(ctx, "RestartWorker", slot, uint64(0)).Err)
}

// SignalWorkers sends signal to the worker of slot, or to every worker when
// slot is AllSlots.
func (p *Pool) SignalWorkers(ctx context.Context, slot int32, signal int32) error {
	return p.wrap("signal", p.call(ctx, "SignalWorkers", slot, signal).Err)
}

// Broadcast sends data, one JSON value, to every worker listening on its
// stream channel and returns how many it reached.
func (p *Pool) Broadcast(ctx context.Context, data string) (workers uint32, err error) {
	err = p.call(ctx, "Broadcast", data, uint64(0)).Store(&workers)
	return workers, p.wrap("broadcast", err)
}

// PushConfig has poold read the worker configuration again and send it to
// every worker listening on its stream channel, restarting none; it
// returns how many it reached.
func (p *Pool) PushConfig(ctx context.Context) (workers uint32, err error) {
	err = p.call(ctx, "PushConfig", uint64(0)).Store(&workers)
	return workers, p.wrap("push config", err)
}

// Upgrade has poold replace itself in place with the binary on disk and
// returns the version it started. The call returns before the new poold is
// ready, and may fail with no reply when the exec ends the old poold's
// connection first: read LastUpgrade once the pool is back on the bus.
func (p *Pool) Upgrade(ctx context.Context) (toVersion string, err error) {
	err = p.call(ctx, "Upgrade", uint64(0)).Store(&toVersion)
	var de dbus.Error
	if asDBusError(err, &de) && de.Name == errorUnknownMethod {
		return "", errTooOldToUpgrade
	}
	return toVersion, p.wrap("upgrade", err)
}

// UpgradeOnInstall reads the pool's upgrade-on-install setting. A poold
// older than in-place upgrades has none: an error matching
// ErrUpgradeFailed says so.
func (p *Pool) UpgradeOnInstall(ctx context.Context) (bool, error) {
	var v dbus.Variant
	err := p.obj.CallWithContext(ctx, propertiesInterface+".Get", 0, ManagerInterface, "UpgradeOnInstall").Store(&v)
	var de dbus.Error
	if asDBusError(err, &de) && de.Name == errorUnknownProperty {
		return false, errTooOldToUpgrade
	}
	if err != nil {
		return false, p.wrap("read upgrade-on-install", err)
	}
	on, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("pool %s: UpgradeOnInstall is %s, not a boolean", p.Name, v.Signature())
	}
	return on, nil
}

// errTooOldToUpgrade: the pool's poold has no Upgrade method.
var errTooOldToUpgrade = &Error{Name: ErrorUpgradeFailed,
	Message: "its poold is older than in-place upgrades: restart it to run the new poold"}

// AllSlots addresses every worker in SignalWorkers.
const AllSlots int32 = -1

func (p *Pool) call(ctx context.Context, method string, args ...any) *dbus.Call {
	return p.obj.CallWithContext(ctx, ManagerInterface+"."+method, 0, args...)
}

// wrap names the pool in errors and turns named D-Bus errors into *Error.
func (p *Pool) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if de, ok := fromDBusError(op, err).(*Error); ok {
		return de
	}
	var derr dbus.Error
	if asDBusError(err, &derr) && derr.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
		return fmt.Errorf("%w: no pool named %q on the %s bus", ErrNoSuchPool, p.Name, p.bus.Address.Kind)
	}
	return fmt.Errorf("pool %s: %s: %w", p.Name, op, err)
}
