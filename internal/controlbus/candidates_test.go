package controlbus

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// listen makes a unix socket at path that accepts connections until the
// test ends.
func listen(t *testing.T, path string) *net.UnixListener {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestSocketExists(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "a b")
	listen(t, sock)
	for _, tt := range []struct {
		give string
		want bool
	}{
		{unixPath(sock), true},
		{"unix:path=" + filepath.Join(dir, "missing"), false},
		{"unix:path=" + filepath.Join(dir, "missing") + ",guid=0123", true}, // not plain: dialling tells
		{"unix:abstract=/x", true},
		{"tcp:host=localhost,port=1", true},
		{"unix:path=/a;unix:path=/b", true},
	} {
		if got := socketExists(tt.give); got != tt.want {
			t.Errorf("socketExists(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestCandidatesSharedBuses(t *testing.T) {
	dir := t.TempDir()
	system, xdgBus := filepath.Join(dir, "system"), filepath.Join(dir, "bus")
	listen(t, system)
	listen(t, xdgBus)
	tests := []struct {
		name string
		env  []string
		want []dbusapi.Address
	}{
		{"both", []string{"DBUS_SYSTEM_BUS_ADDRESS", unixPath(system), "DBUS_SESSION_BUS_ADDRESS", "unix:abstract=/s"},
			[]dbusapi.Address{at(dbusapi.BusSystem, unixPath(system)), at(dbusapi.BusSession, "unix:abstract=/s")}},
		{"session from XDG_RUNTIME_DIR", []string{"DBUS_SYSTEM_BUS_ADDRESS", unixPath(system), "XDG_RUNTIME_DIR", dir},
			[]dbusapi.Address{at(dbusapi.BusSystem, unixPath(system)), at(dbusapi.BusSession, unixPath(xdgBus))}},
		{"no system socket", []string{"DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + dir + "/none", "XDG_RUNTIME_DIR", dir + "/none"},
			nil},
		{"same bus twice", []string{"DBUS_SYSTEM_BUS_ADDRESS", unixPath(system), "DBUS_SESSION_BUS_ADDRESS", unixPath(system)},
			[]dbusapi.Address{at(dbusapi.BusSystem, unixPath(system))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// RUNTIME_DIRECTORY: a base with no buses, searched first.
			got := candidates(env(append(tt.env, "RUNTIME_DIRECTORY", dir)...), 1000)
			got = slices.DeleteFunc(got, func(a dbusapi.Address) bool { return a.Kind == dbusapi.BusPrivate })
			if !slices.Equal(got, tt.want) {
				t.Errorf("candidates =\n%v, want\n%v", got, tt.want)
			}
		})
	}
}

// pool lays out a pool's runtime directory with a private bus beside it and
// returns the bus socket.
func pool(t *testing.T, base, name string, alive bool) string {
	dir, _ := bustest.RuntimeDir(t, base, name, alive)
	return filepath.Join(rundir.BusDir(dir), privatebus.SocketName)
}

func TestCandidatesPrivateBuses(t *testing.T) {
	bustest.RequireDaemon(t)
	base, err := os.MkdirTemp("", "discover")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	b := pool(t, base, "b.2", true)
	a := pool(t, base, "a.10", true)
	pool(t, base, "c.3", false) // stale: its poold is gone
	d := pool(t, base, "d.4", true)
	lost, _ := rundir.RuntimeDirOf(filepath.Dir(d))
	if err := os.RemoveAll(lost); err != nil { // its bus lives on: the bus's own lock says so
		t.Fatal(err)
	}
	e := pool(t, base, "e.5", true)
	if err := os.Remove(filepath.Join(filepath.Dir(e), rundir.LockFile)); err != nil { // a poold from before bus locks
		t.Fatal(err)
	}

	got := candidates(env("RUNTIME_DIRECTORY", base, "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent"), os.Geteuid())
	var ours []dbusapi.Address
	for _, c := range got {
		if strings.Contains(c.Address, base) {
			ours = append(ours, c)
		}
	}
	want := []dbusapi.Address{at(dbusapi.BusPrivate, unixPath(a)), at(dbusapi.BusPrivate, unixPath(b)), at(dbusapi.BusPrivate, unixPath(d)), at(dbusapi.BusPrivate, unixPath(e))}
	if !slices.Equal(ours, want) {
		t.Fatalf("candidates =\n%v, want\n%v", ours, want)
	}
	if c, err := dbusapi.Dial(context.Background(), ours[0]); err != nil {
		t.Errorf("dial the candidate: %v", err)
	} else {
		c.Close()
	}

	// A base others can write to, or buses of another user than the base's,
	// could be anyone's.
	if os.Geteuid() == 0 {
		if err := os.Chown(a, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if got := privateBuses(base, 0); !slices.Equal(got, []string{b, d, e}) {
			t.Errorf("a socket of another user than the base's: %q", got)
		}
	}
	if err := os.Chmod(base, 0o777); err != nil {
		t.Fatal(err)
	}
	if got := privateBuses(base, os.Geteuid()); got != nil {
		t.Errorf("a base anyone can write to: %q", got)
	}
}

// Users who cannot open a pool's lock ask its socket instead.
func TestListening(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	l := listen(t, sock)
	if !listening(sock) {
		t.Error("a listening socket is not")
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if listening(sock) {
		t.Error("a socket nobody listens on is")
	}
}

// What Serve starts for a pool run by hand, Candidates finds.
func TestCandidatesFindAServedPrivateBus(t *testing.T) {
	bustest.RequireDaemon(t)
	base := t.TempDir()
	dir := filepath.Join(base, "app.1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(filepath.Join(dir, rundir.LockFile), unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	getenv := env("RUNTIME_DIRECTORY", base, "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent")
	c, err := serveNothing(t, Options{RuntimeDir: dir, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Conn.RequestName(dbusapi.BusName("app"), 0); err != nil {
		t.Fatal(err)
	}

	addrs := candidates(getenv, os.Geteuid())
	if len(addrs) == 0 || addrs[0].Kind != dbusapi.BusPrivate || !strings.HasPrefix(c.Address, addrs[0].Address) {
		t.Fatalf("candidates = %v, want first the bus at %s", addrs, c.Address)
	}
	bus, err := dbusapi.Dial(context.Background(), addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	if pools, err := bus.Pools(context.Background()); err != nil || !slices.Equal(pools, []string{"app"}) {
		t.Errorf("Pools = %v, %v", pools, err)
	}
}

// at is the address of a bus of kind.
func at(kind dbusapi.BusKind, address string) dbusapi.Address {
	return dbusapi.Address{Kind: kind, Address: address}
}
