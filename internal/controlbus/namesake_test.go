package controlbus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/testbound"
)

// A pool's name is taken where poolctl would find a pool of that name: on
// the system or session bus, or on a private bus of the user's own.
func TestFindNamesake(t *testing.T) {
	bustest.RequireDaemon(t)
	base := t.TempDir()
	_, web := bustest.RuntimeDir(t, base, "web.2", true)
	bustest.ServeFakePool(t, web.Address(), dbusapi.BusName("web"), nil)
	_, gone := bustest.RuntimeDir(t, base, "gone.3", false) // its poold was killed
	bustest.ServeFakePool(t, gone.Address(), dbusapi.BusName("gone"), nil)
	system := bustest.StartSessionBus(t)
	bustest.ServeFakePool(t, system, dbusapi.BusName("api"), nil)
	getenv := env("RUNTIME_DIRECTORY", base, "DBUS_SYSTEM_BUS_ADDRESS", system)

	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(10*time.Second))
	defer cancel()
	webSock := filepath.Join(base, "web.2.bus", privatebus.SocketName)
	for _, tt := range []struct {
		name string
		want dbusapi.Address // zero: the name is free
	}{
		{"web", at(dbusapi.BusPrivate, unixPath(webSock))},
		{"api", at(dbusapi.BusSystem, system)},
		{"gone", dbusapi.Address{}},
		{"free", dbusapi.Address{}},
	} {
		err := FindNamesake(ctx, tt.name, getenv, os.Geteuid())
		var taken *dbusapi.NameTakenError
		switch {
		case tt.want == dbusapi.Address{} && err != nil:
			t.Errorf("%s: %v, want the name free", tt.name, err)
		case tt.want != dbusapi.Address{} && !errors.As(err, &taken):
			t.Errorf("%s: %v, want a *dbusapi.NameTakenError", tt.name, err)
		case tt.want != dbusapi.Address{} && (taken.Bus != tt.want || taken.PID != uint32(os.Getpid()) || !errors.Is(err, dbusapi.ErrNameTaken)):
			t.Errorf("%s: %+v, want on %v with this process's PID", tt.name, taken, tt.want)
		}
	}
	if err := FindNamesake(ctx, "web", getenv, os.Geteuid()); err == nil || err.Error() !=
		`another pool named web is running (poold pid `+strconv.Itoa(os.Getpid())+`, on the private bus at `+webSock+`): stop it, or give this one another --name` {
		t.Errorf("message: %v", err)
	}

	// Another user's pool of the name shadows nothing: poolctl looks at
	// one's own pools first.
	if os.Geteuid() == 0 {
		if err := os.Chown(base, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(webSock, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := FindNamesake(ctx, "web", getenv, os.Geteuid()); err != nil {
			t.Errorf("another user's pool: %v", err)
		}
	}
}
