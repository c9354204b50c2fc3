package main

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// fakeUnit is a unit of fakeSystemd, with the properties poolctl reads.
type fakeUnit struct {
	name, active, sub, result string
	exec                      []string // ExecStart=, a service's
	triggeredBy               []string // a service's sockets
	listen                    []string // a socket's addresses
}

// fakeSystemd plays systemd's manager on a bus, just enough for poolctl:
// ListUnitsByPatterns, GetUnit and the properties of units.
type fakeSystemd struct{ units []fakeUnit }

// The D-Bus shapes of ListUnitsByPatterns and of ExecStart=.
type (
	fakeUnitStatus struct {
		Name, Description, LoadState, ActiveState, SubState, Following string
		Path                                                           dbus.ObjectPath
		JobID                                                          uint32
		JobType                                                        string
		JobPath                                                        dbus.ObjectPath
	}
	fakeExec struct {
		Path                 string
		Argv                 []string
		IgnoreFailure        bool
		T1, T2, T3, T4       uint64
		PID                  uint32
		ExitCode, ExitStatus int32
	}
)

func serveFakeSystemd(t *testing.T, addr string, units ...fakeUnit) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeSystemd{units: units}
	if err := conn.Export(f, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if err := conn.Export(fakeUnitProps{u}, unitPath(u.name), "org.freedesktop.DBus.Properties"); err != nil {
			t.Fatal(err)
		}
	}
	if reply, err := conn.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
}

func unitPath(name string) dbus.ObjectPath {
	return dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + strings.NewReplacer(".", "_2e", "-", "_2d", "@", "_40").Replace(name))
}

func (f *fakeSystemd) ListUnitsByPatterns(states, patterns []string) ([]fakeUnitStatus, *dbus.Error) {
	var out []fakeUnitStatus
	for _, u := range f.units {
		matches := slices.ContainsFunc(patterns, func(p string) bool { ok, _ := path.Match(p, u.name); return ok })
		if matches && (len(states) == 0 || slices.Contains(states, u.active)) {
			out = append(out, fakeUnitStatus{Name: u.name, LoadState: "loaded", ActiveState: u.active, SubState: u.sub,
				Path: unitPath(u.name), JobPath: "/"})
		}
	}
	return out, nil
}

func (f *fakeSystemd) GetUnit(name string) (dbus.ObjectPath, *dbus.Error) {
	for _, u := range f.units {
		if u.name == name {
			return unitPath(name), nil
		}
	}
	return "", dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not loaded."})
}

type fakeUnitProps struct{ u fakeUnit }

func (p fakeUnitProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	u := p.u
	switch name {
	case "ActiveState":
		return dbus.MakeVariant(u.active), nil
	case "SubState":
		return dbus.MakeVariant(u.sub), nil
	case "Result":
		return dbus.MakeVariant(u.result), nil
	case "TriggeredBy":
		return dbus.MakeVariant(append([]string{}, u.triggeredBy...)), nil
	case "ExecStart":
		execs := []fakeExec{}
		if len(u.exec) > 0 {
			execs = append(execs, fakeExec{Path: u.exec[0], Argv: u.exec})
		}
		return dbus.MakeVariant(execs), nil
	case "Listen":
		listen := []struct{ Type, Address string }{}
		for _, a := range u.listen {
			listen = append(listen, struct{ Type, Address string }{"Stream", a})
		}
		return dbus.MakeVariant(listen), nil
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{name})
}

// A host's units: myapp idle (its socket listens), api failed, shop failed
// with its socket too, a service that is not a pool, and web, whose poold
// is on a bus.
var hostUnits = []fakeUnit{
	{name: "myapp.service", active: "inactive", sub: "dead", result: "success", triggeredBy: []string{"myapp.socket"},
		exec: []string{"/usr/bin/poold", "--config", "/etc/poold/myapp.conf", "--name", "myapp"}},
	{name: "myapp.socket", active: "active", sub: "listening", result: "success", listen: []string{"127.0.0.1:8080"}},
	{name: "poold@api.service", active: "failed", sub: "failed", result: "exit-code", triggeredBy: []string{"poold@api.socket"},
		exec: []string{"/usr/bin/poold", "--config", "/etc/poold/api.conf", "--name", "api"}},
	{name: "poold@api.socket", active: "active", sub: "listening", result: "success", listen: []string{"[::]:9090", "/run/api.sock"}},
	{name: "shop.service", active: "failed", sub: "failed", result: "start-limit-hit", triggeredBy: []string{"shop.socket"},
		exec: []string{"/usr/bin/poold", "--workers", "2", "--", "node", "server.js"}},
	{name: "shop.socket", active: "failed", sub: "failed", result: "service-start-limit-hit", listen: []string{"0.0.0.0:3000"}},
	{name: "nginx.service", active: "inactive", sub: "dead", result: "success", exec: []string{"/usr/sbin/nginx"}},
	{name: "web.service", active: "activating", sub: "start", result: "success",
		exec: []string{"/usr/bin/poold", "--name", "web", "--", "node", "server.js"}},
}

// Pools that are on no bus are asked of systemd: an idle socket-activated
// pool and failed ones show in status and list, in text and in JSON.
func TestPoolsOnNoBusFromSystemd(t *testing.T) {
	system := startBus(t)
	serveFakeSystemd(t, system, hostUnits...)
	session := startBus(t)
	serveFakePool(t, session, "web", 1)
	pc := func(args ...string) result {
		return poolctl(t, env("DBUS_SYSTEM_BUS_ADDRESS", system, "DBUS_SESSION_BUS_ADDRESS", session), args...)
	}
	const idle = "myapp: socket listening on 127.0.0.1:8080, pool not started (starts on the first connection)\n"
	const api = "api: pool failed (poold@api.service: exit-code), socket listening on [::]:9090, /run/api.sock; see journalctl -u poold@api.service\n"
	const shop = "shop: pool failed (shop.service: start-limit-hit, shop.socket: service-start-limit-hit), no socket listening; see journalctl -u shop.service\n"

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "myapp"}, idle},
		{[]string{"status", "api", "shop"}, api + "\n" + shop},
		{[]string{"list"}, `NAME   BUS      STATE    WORKERS  GENERATION  MAIN PID
web    session  running  1/1      1           4242
myapp  -        idle     -        -           -
api    -        failed   -        -           -
shop   -        failed   -        -           -

` + idle + api + shop + `
4 pools listed.
`},
	} {
		r := pc(tt.args...)
		if r.code != 0 || r.stdout != tt.want || r.stderr != "" {
			t.Errorf("poolctl %s: code %d\nstdout:\n%s\nstderr: %s\nwant:\n%s", strings.Join(tt.args, " "), r.code, r.stdout, r.stderr, tt.want)
		}
	}

	r := pc("status", "--json", "myapp")
	var got []struct {
		Pool struct {
			State      string
			StatusText string `json:"status_text"`
			Listen     []string
			Units      jsonUnits
		}
		Workers []jsonWorker
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	p := got[0].Pool
	wantUnits := jsonUnits{Service: "myapp.service", ServiceState: "inactive", ServiceResult: "success",
		Sockets: []jsonSocket{{Unit: "myapp.socket", State: "listening", Result: "success", Listen: []string{"127.0.0.1:8080"}}}}
	if p.State != "idle" || !slices.Equal(p.Listen, []string{"127.0.0.1:8080"}) || p.StatusText+"\n" != idle ||
		!jsonUnitsEqual(p.Units, wantUnits) || got[0].Workers == nil {
		t.Errorf("status --json:\n%s", r.stdout)
	}

	// A command that needs the running pool says what its units do.
	r = pc("scale", "myapp", "8")
	want := "poolctl: " + strings.TrimSuffix(idle, "\n") + "; systemctl start myapp.service starts it now\n"
	if r.code != exitFailure || r.stderr != want {
		t.Errorf("scale of an idle pool: code %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}

func jsonUnitsEqual(a, b jsonUnits) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// A system bus without systemd (a container) is no error: the messages stay
// those of pools on buses only.
func TestPoolsOnNoBusWithoutSystemd(t *testing.T) {
	system := startBus(t)
	getenv := env("DBUS_SYSTEM_BUS_ADDRESS", system)
	r := poolctl(t, getenv, "list")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "No pools found (looked on: system bus") || r.stderr != "" {
		t.Errorf("list: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = poolctl(t, getenv, "status", "myapp")
	if r.code != exitFailure || !strings.HasPrefix(r.stderr, `poolctl: no pool named "myapp" (looked on: system bus`) {
		t.Errorf("status: code %d, stderr %q", r.code, r.stderr)
	}
}
