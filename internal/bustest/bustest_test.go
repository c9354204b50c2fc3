package bustest_test

import (
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/internal/bustest"
)

const (
	driver     = "org.freedesktop.DBus"
	driverPath = "/org/freedesktop/DBus"
)

func requestName(t *testing.T, addr string, as *bustest.User, name string) error {
	t.Helper()
	_, err := bustest.Send(t, addr, as, driver, driverPath, driver+".RequestName", "string:"+name, "uint32:0")
	return err
}

// The shipped policy as it is (whether or not the group poold exists) makes
// a valid configuration; everyone may connect, nobody but root may own a
// pool's name or any other.
func TestSystemBus(t *testing.T) {
	addr := bustest.StartSystemBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.BusObject().Call(driver+".GetId", 0).Err; err != nil {
		t.Errorf("GetId: %v", err)
	}
	bustest.RequireRoot(t)
	bustest.ServeFakePool(t, addr, "org.poold.pool1.app", nil)
	nobody := bustest.Nobody(t)
	if _, err := bustest.Send(t, addr, &nobody, driver, driverPath, driver+".GetId"); err != nil {
		t.Errorf("nobody cannot use the bus: %v", err)
	}
	for _, name := range []string{"org.poold.pool1.other", "com.example.Other"} {
		if err := requestName(t, addr, &nobody, name); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("nobody may own %s: %v", name, err)
		}
	}
}

func TestSessionBus(t *testing.T) {
	addr := bustest.StartSessionBus(t)
	if err := requestName(t, addr, nil, "com.example.Mine"); err != nil {
		t.Errorf("the bus's user cannot own a name: %v", err)
	}
	bustest.RequireRoot(t)
	nobody := bustest.Nobody(t)
	if _, err := bustest.Send(t, addr, &nobody, driver, driverPath, driver+".GetId"); err == nil {
		t.Error("another user may connect to a session bus")
	}
}

func TestOpenBus(t *testing.T) {
	bustest.RequireRoot(t)
	addr := bustest.StartOpenBus(t)
	nobody := bustest.Nobody(t)
	if err := requestName(t, addr, &nobody, "org.poold.pool1.app"); err != nil {
		t.Errorf("nobody cannot own a name on the open bus: %v", err)
	}
}
