package controlbus

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/testbound"
)

// runtimeDir makes a pool's runtime directory in a base like rundir's.
func runtimeDir(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("", "controlbus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "app.1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveNothing serves nothing on the bus Serve picks.
func serveNothing(t *testing.T, opts Options) (*Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(30*time.Second))
	defer cancel()
	return Serve(ctx, opts, func(*Conn) error { return nil })
}

func TestServeChoosesTheBus(t *testing.T) {
	system := bustest.StartSystemBus(t)
	session := bustest.StartSessionBus(t)
	missing := "unix:path=/nonexistent/bus"
	for _, tt := range []struct {
		name    string
		mode    string
		systemd bool
		env     []string
		want    dbusapi.BusKind
	}{
		{"system service", "auto", true, []string{"DBUS_SYSTEM_BUS_ADDRESS", system, "DBUS_SESSION_BUS_ADDRESS", session}, dbusapi.BusSystem},
		{"user service", "auto", true, []string{"MANAGERPID", "1", "DBUS_SYSTEM_BUS_ADDRESS", system, "DBUS_SESSION_BUS_ADDRESS", session}, dbusapi.BusSession},
		{"by hand", "auto", false, []string{"DBUS_SYSTEM_BUS_ADDRESS", system, "DBUS_SESSION_BUS_ADDRESS", session}, dbusapi.BusSession},
		{"by hand, no session bus", "auto", false, []string{"DBUS_SYSTEM_BUS_ADDRESS", system}, dbusapi.BusPrivate},
		{"system bus unreachable", "", true, []string{"DBUS_SYSTEM_BUS_ADDRESS", missing}, dbusapi.BusPrivate},
		{"session bus unreachable", "auto", false, []string{"DBUS_SESSION_BUS_ADDRESS", missing}, dbusapi.BusPrivate},
		{"system", "system", false, []string{"DBUS_SYSTEM_BUS_ADDRESS", system}, dbusapi.BusSystem},
		{"session", "session", true, []string{"DBUS_SESSION_BUS_ADDRESS", session}, dbusapi.BusSession},
		{"private", "private", true, []string{"DBUS_SYSTEM_BUS_ADDRESS", system}, dbusapi.BusPrivate},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c, err := serveNothing(t, Options{
				Mode: tt.mode, UnderSystemd: tt.systemd, RuntimeDir: runtimeDir(t),
				Getenv: env(tt.env...), Log: slog.New(slog.NewTextHandler(&logs, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Kind != tt.want {
				t.Errorf("Kind = %v, want %v", c.Kind, tt.want)
			}
			var id string
			if err := c.Conn.BusObject().Call("org.freedesktop.DBus.GetId", 0).Store(&id); err != nil {
				t.Errorf("the connection does not work: %v", err)
			}
			if fallback := strings.Contains(logs.String(), "falling back"); fallback != strings.Contains(tt.name, "unreachable") {
				t.Errorf("fallback warning = %v: %s", fallback, logs.String())
			}
		})
	}
}

func TestServePrivate(t *testing.T) {
	dir := runtimeDir(t)
	c, err := serveNothing(t, Options{Mode: "private", RuntimeDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(rundir.BusDir(dir), "bus")
	if c.Address != "unix:path="+sock && !strings.HasPrefix(c.Address, "unix:path="+sock+",") {
		t.Errorf("Address = %q, want the socket %s", c.Address, sock)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the runtime directory changed: %v, %v", fi.Mode(), err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stat(rundir.BusDir(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bus directory left behind: %v", err)
	}
}

func TestServeErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
		want string
	}{
		{"bad mode", Options{Mode: "dbus"}, `bus mode "dbus"`},
		{"no session bus", Options{Mode: "session", Getenv: env()}, "no session bus"},
		{"system bus unreachable", Options{Mode: "system", Getenv: env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent")}, "system bus"},
		{"private without a directory", Options{Mode: "private"}, "runtime directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := serveNothing(t, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || c != nil {
				t.Errorf("Serve = %v, %v; want an error about %s", c, err, tt.want)
			}
		})
	}
}

func TestServeNone(t *testing.T) {
	c, err := serveNothing(t, Options{Mode: "none"})
	if c != nil || err != nil {
		t.Fatalf("Serve = %v, %v; want nil, nil", c, err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close of none: %v", err)
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}
