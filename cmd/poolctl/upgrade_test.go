package main

import (
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/dbusapi"
)

// The exec of the old poold ends its connection before it can answer
// Upgrade: poolctl finds the pool again, served by the new poold, and
// reads how the upgrade went there, once the new poold was ready (it says
// upgraded a moment before it has the duration).
func TestUpgradeAcrossTheExec(t *testing.T) {
	addr := startBus(t)
	f := serveFakePool(t, addr, "web", 3)
	f.mu.Lock()
	f.execs = true
	f.mu.Unlock()
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.conn.Close()
	})
	r := poolctl(t, env("DBUS_SESSION_BUS_ADDRESS", addr), "upgrade", "web", "--verbose")
	if want := "web: upgraded poold test → 1.3.0 in 95ms, 3 workers kept\n"; r.code != 0 || r.stdout != want {
		t.Errorf("%+v; want exit 0 and %q", r, want)
	}
	// The call itself got no answer: it was the pool's state that told.
	if !strings.Contains(r.stderr, "poolctl: web: Upgrade: ") || !strings.Contains(r.stderr, "; looking for the pool\n") {
		t.Errorf("stderr %q; want the unanswered call noted", r.stderr)
	}
}

// oldPoold plays a poold from before in-place upgrades: no Upgrade method,
// no UpgradeOnInstall property.
type oldPoold struct{}

func (oldPoold) ListWorkers() ([]dbusapi.WorkerInfo, *dbus.Error) { return []dbusapi.WorkerInfo{}, nil }

func (oldPoold) GetAll(string) (map[string]dbus.Variant, *dbus.Error) {
	return map[string]dbus.Variant{"Name": dbus.MakeVariant("old"), "Version": dbus.MakeVariant("0.9.0"),
		"MainPID": dbus.MakeVariant(uint32(4343))}, nil
}

func (o oldPoold) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	all, _ := o.GetAll(iface)
	if v, ok := all[name]; ok {
		return v, nil
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{"no property " + name})
}

// A poold older than in-place upgrades is said to be so, and not taken for
// one whose upgrade-on-install is false.
func TestUpgradeOfAnOlderPoold(t *testing.T) {
	addr := startBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for iface, v := range map[string]any{dbusapi.ManagerInterface: oldPoold{}, "org.freedesktop.DBus.Properties": oldPoold{}} {
		if err := conn.Export(v, dbusapi.ManagerPath, iface); err != nil {
			t.Fatal(err)
		}
	}
	if reply, err := conn.RequestName(dbusapi.BusName("old"), dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
	const want = "poolctl: old: its poold is older than in-place upgrades: restart it to run the new poold\n"
	for _, args := range [][]string{{"upgrade", "old"}, {"upgrade", "--all", "--on-install"}} {
		r := poolctl(t, env("DBUS_SESSION_BUS_ADDRESS", addr), args...)
		if r.code != 1 || r.stdout != "" || r.stderr != want {
			t.Errorf("poolctl %s: %+v; want exit 1 and %q", strings.Join(args, " "), r, want)
		}
	}
}
