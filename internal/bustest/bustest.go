// Package bustest starts real dbus-daemons for tests: one configured like
// the system bus with poold's shipped policy, or a session bus; and runs
// dbus-send as other users to check what the policy allows them.
package bustest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi/policy"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/testbound"
)

// Option changes the bus StartSystemBus starts.
type Option func(*options)

type options struct{ group string }

// WithPolicyGroup puts group where the shipped policy names the group poold,
// for tests that cannot create a group of that name. The rules are otherwise
// the shipped file's.
func WithPolicyGroup(group string) Option { return func(o *options) { o.group = group } }

// StartSystemBus starts a dbus-daemon configured like Debian's system bus
// (every local user may connect, only EXTERNAL authentication, no name may
// be owned and no method called but what policy files allow) that includes
// the shipped policy, and returns its address. Its socket is in a fresh
// directory that every user can traverse, so tests can connect as nobody.
// The daemon is stopped when the test ends. The test is skipped if
// dbus-daemon is not installed.
func StartSystemBus(t testing.TB, opts ...Option) string {
	t.Helper()
	o := options{group: policy.Group}
	for _, opt := range opts {
		opt(&o)
	}
	dir := busDir(t)
	pol := bytes.ReplaceAll(policy.Conf, []byte(`group="`+policy.Group+`"`), []byte(`group="`+o.group+`"`))
	polPath := filepath.Join(dir, policy.FileName)
	if err := os.WriteFile(polPath, pol, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := privatebus.Config{Dir: dir, Type: "system", Owner: -1, Includes: []string{polPath}}
	return start(t, dir, conf.XML())
}

// StartSessionBus starts a dbus-daemon configured like a session bus: only
// its own user may connect, and may do anything. It returns its address.
func StartSessionBus(t testing.TB) string {
	t.Helper()
	dir := busDir(t)
	conf := fmt.Sprintf(sessionConf, "session", filepath.Join(dir, privatebus.SocketName), "")
	return start(t, dir, []byte(conf))
}

// StartOpenBus starts a dbus-daemon on which every local user may connect
// and do anything, to test what poold checks itself, whatever the bus
// policy lets through. It returns its address.
func StartOpenBus(t testing.TB) string {
	t.Helper()
	dir := busDir(t)
	conf := fmt.Sprintf(sessionConf, "poold-test", filepath.Join(dir, privatebus.SocketName), `<allow user="*"/>`)
	return start(t, dir, []byte(conf))
}

const sessionConf = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>%s</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    %s
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// RequireDaemon skips the test if dbus-daemon is not installed.
func RequireDaemon(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (the dbus-daemon package): ", err)
	}
}

func start(t testing.TB, dir string, conf []byte) string {
	t.Helper()
	RequireDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(30*time.Second))
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bus, err := privatebus.StartConfig(ctx, dir, conf, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bus.Close(); err != nil {
			t.Error(err)
		}
	})
	return bus.Address()
}

// busDir makes a directory every user can traverse but not list. It is not
// t.TempDir: test names can make socket paths too long, and t.TempDir's
// parents are private to the test's user.
func busDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "bustest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
