package privatebus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNoDaemon(t *testing.T) {
	defer func(n string) { daemonName = n }(daemonName)
	daemonName = "dbus-daemon-not-installed"
	_, err := Start(context.Background(), t.TempDir(), nil)
	if !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), "install the dbus-daemon package") {
		t.Errorf("Start = %v, want ErrNoDaemon", err)
	}
}

func needDaemon(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed")
	}
}

// A daemon that cannot start reports why.
func TestBadConfig(t *testing.T) {
	needDaemon(t)
	_, err := StartConfig(context.Background(), t.TempDir(), []byte("<busconfig><listen>nonsense:</listen></busconfig>"), nil)
	if err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("StartConfig = %v, want the daemon's complaint", err)
	}
}

// Close kills a daemon that ignores SIGTERM.
func TestCloseKills(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-dbus-daemon")
	script := "#!/bin/sh\ntrap '' TERM\necho unix:path=/nonexistent >&3\nexec sleep 1000\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(n string, d time.Duration) { daemonName, stopTimeout = n, d }(daemonName, stopTimeout)
	daemonName, stopTimeout = fake, 100*time.Millisecond
	bus, err := StartConfig(context.Background(), filepath.Join(dir, "bus.d"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v, want killed", err)
	}
	select {
	case <-bus.Done():
	default:
		t.Error("Close returned before the daemon exited")
	}
}

func TestConfigXML(t *testing.T) {
	c := Config{Dir: "/run/poold/poold@a&b", Type: "poold", Owner: 1000, Includes: []string{"/run/a&b/p.conf"}}
	got := string(c.XML())
	for _, want := range []string{
		"<listen>unix:path=/run/poold/poold%40a%26b/bus</listen>",
		"<include>/run/a&amp;b/p.conf</include>",
		`<policy user="1000">`,
		`<allow own_prefix="org.poold.pool1"/>`,
		"<auth>EXTERNAL</auth>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %s:\n%s", want, got)
		}
	}
	for _, owner := range []int{0, -1} {
		c.Owner = owner
		if got := string(c.XML()); strings.Contains(got, "own_prefix") {
			t.Errorf("Owner %d: config gives rights:\n%s", owner, got)
		}
	}
}
