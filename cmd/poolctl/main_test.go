package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/rundir"
)

// result is one poolctl run.
type result struct {
	code           int
	stdout, stderr string
	dials          int // connections attempted
}

// env is a fake environment; the system bus is one that refuses
// connections and private buses are looked for in a directory that does not
// exist, so that tests never reach the machine's pools.
func env(kv ...string) func(string) string {
	m := map[string]string{
		"DBUS_SYSTEM_BUS_ADDRESS": "unix:abstract=poolctl-test-no-such-bus",
		rundir.BaseEnv:            "/nonexistent/poolctl-test",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// poolctl runs the command line in-process with a given getenv and counts
// the bus connections it tries; dial is dbusapi.Dial unless replaced.
func poolctl(t *testing.T, getenv func(string) string, args ...string) result {
	t.Helper()
	var out bytes.Buffer
	r := poolctlTo(t, &out, getenv, args...)
	r.stdout = out.String()
	return r
}

// poolctlTo is poolctl with stdout going to w.
func poolctlTo(t *testing.T, w io.Writer, getenv func(string) string, args ...string) result {
	t.Helper()
	var errOut bytes.Buffer
	var r result
	a := &app{
		stdio:        stdio{stdin: strings.NewReader(""), stdout: w, stderr: &errOut},
		getenv:       getenv,
		now:          func() time.Time { return testNow },
		privateBases: func() []string { return []string{"/run/poold"} },
		dial: func(ctx context.Context, addr dbusapi.Address) (*dbusapi.Bus, error) {
			r.dials++
			return dbusapi.Dial(ctx, addr)
		},
	}
	r.code = a.execute(context.Background(), args)
	r.stderr = errOut.String()
	return r
}

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestHelpAndVersion(t *testing.T) {
	r := poolctl(t, env(), "--version")
	if r.code != 0 || r.stdout != "poolctl dev\n" {
		t.Errorf("--version: code %d, stdout %q", r.code, r.stdout)
	}
	r = poolctl(t, env())
	if r.code != 0 || !strings.Contains(r.stdout, "Available Commands:") || r.dials != 0 {
		t.Errorf("no arguments: code %d, dials %d, stdout %q", r.code, r.dials, r.stdout)
	}
}

func TestReportHints(t *testing.T) {
	tests := []struct {
		give error
		want string
	}{
		{&dbusapi.Error{Name: dbusapi.ErrorNotPermitted, Message: "uid 1000 may not scale express"},
			"poolctl: uid 1000 may not scale express (changing a pool needs root or membership in the poold group)\n"},
		{poolError("express", &dbusapi.Error{Name: dbusapi.ErrorBusy, Message: "a reload is running"}),
			"poolctl: express: a reload is running (a reload, restart or upgrade is in progress; try again when it ends)\n"},
		{poolError("express", &dbusapi.Error{Name: dbusapi.ErrorReloadFailed, Message: "reload failed: slot 2: worker 812 exited with status 1 before ready"}),
			"poolctl: express: reload failed: slot 2: worker 812 exited with status 1 before ready\n"},
		{errors.Join(errors.New("one"), errors.New("two\nlines")), "poolctl: one\npoolctl: two lines\n"},
	}
	for _, tt := range tests {
		var errOut bytes.Buffer
		a := &app{stdio: stdio{stderr: &errOut}, started: true}
		if code := a.report(nil, tt.give); code != exitFailure {
			t.Errorf("%v: exit code %d, want %d", tt.give, code, exitFailure)
		}
		if errOut.String() != tt.want {
			t.Errorf("report(%v):\n got %q\nwant %q", tt.give, errOut.String(), tt.want)
		}
	}
}

func TestNoPoolMessage(t *testing.T) {
	system := dbusapi.Address{Kind: dbusapi.BusSystem, Address: "unix:path=/run/dbus/system_bus_socket"}
	session := dbusapi.Address{Kind: dbusapi.BusSession, Address: "unix:path=/run/user/1000/bus"}
	priv := func(p string) dbusapi.Address {
		return dbusapi.Address{Kind: dbusapi.BusPrivate, Address: "unix:path=" + p}
	}
	tests := []struct {
		give buses
		want string
	}{
		{buses{searched: []dbusapi.Address{system, priv("/run/poold/api.12.bus/bus")}, privateBases: []string{"/run/poold"}},
			`no pool named "x" (looked on: system bus, private buses under /run/poold); see 'poolctl list'`},
		{buses{searched: []dbusapi.Address{session}, unreachable: []dbusapi.Address{system},
			privateBases: []string{"/run/user/1000/poold", "/run/poold"}},
			`no pool named "x" (looked on: session bus, private buses under /run/user/1000/poold and /run/poold; could not reach: system bus); see 'poolctl list'`},
		{buses{unreachable: []dbusapi.Address{system, priv("/run/poold/a.1.bus/bus"), priv("/run/poold/b.1.bus/bus")}},
			`no pool named "x" (no bus found; could not reach: system bus, private buses under /run/poold); see 'poolctl list'`},
		{buses{searched: []dbusapi.Address{system}, privateBases: []string{"/run/poold", "/run/user/1000/poold", "/tmp/poold-1000", "/tmp/poold-1001"}},
			`no pool named "x" (looked on: system bus, private buses under /run/poold, /run/user/1000/poold and 2 more); see 'poolctl list'`},
	}
	for _, tt := range tests {
		err := &noPoolError{name: "x", where: tt.give.where()}
		if err.Error() != tt.want {
			t.Errorf("got  %s\nwant %s", err, tt.want)
		}
		if !errors.Is(err, dbusapi.ErrNoSuchPool) {
			t.Errorf("%v does not match ErrNoSuchPool", err)
		}
	}
}
