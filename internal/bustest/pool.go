package bustest

import (
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"

	"github.com/poold/poold/dbusapi/policy"
)

// Names of the stand-in pool ServeFakePool exports: those of poold's API.
const (
	FakePoolPath      dbus.ObjectPath = "/org/poold/pool1"
	FakePoolInterface                 = policy.NamePrefix + ".Manager"
)

// ServeFakePool connects to the bus at addr as the test's user, takes the
// bus name name and exports at FakePoolPath a stand-in for a pool, enough to
// test who may call what: Manager.ListWorkers and Manager.Scale (which calls
// check with the caller's unique name, if check is not nil, and fails with
// its error), Properties Get/GetAll/Set and Introspect. It returns the
// connection, closed when the test ends.
func ServeFakePool(t testing.TB, addr, name string, check func(sender string) error) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &fakePool{check: check}
	for iface, v := range map[string]any{
		FakePoolInterface:                     p,
		"org.freedesktop.DBus.Properties":     fakeProps{},
		"org.freedesktop.DBus.Introspectable": introspect.Introspectable(fakeIntrospection),
	} {
		if err := conn.Export(v, FakePoolPath, iface); err != nil {
			t.Fatal(err)
		}
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name %s: %v (reply %d)", name, err, reply)
	}
	return conn
}

type fakePool struct{ check func(string) error }

func (p *fakePool) ListWorkers() ([]uint64, *dbus.Error) { return []uint64{1, 2}, nil }

func (p *fakePool) Scale(sender dbus.Sender, workers int32, flags uint64) *dbus.Error {
	if p.check == nil {
		return nil
	}
	if err := p.check(string(sender)); err != nil {
		return dbus.NewError(policy.NamePrefix+".Error.NotPermitted", []any{err.Error()})
	}
	return nil
}

type fakeProps struct{}

func (fakeProps) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	return dbus.MakeVariant(uint32(4)), nil
}

func (fakeProps) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	return map[string]dbus.Variant{"Workers": dbus.MakeVariant(uint32(4))}, nil
}

func (fakeProps) Set(iface, prop string, v dbus.Variant) *dbus.Error { return nil }

const fakeIntrospection = introspect.IntrospectDeclarationString + `<node>
 <interface name="` + FakePoolInterface + `">
  <method name="ListWorkers"><arg name="workers" type="at" direction="out"/></method>
  <method name="Scale"><arg name="workers" type="i" direction="in"/><arg name="flags" type="t" direction="in"/></method>
 </interface>
</node>`
