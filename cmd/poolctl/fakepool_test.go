package main

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/testbound"
)

// startBus runs a session-like dbus-daemon for the test and returns its
// address; the test is skipped where dbus-daemon is not installed.
func startBus(t *testing.T) string { return bustest.StartSessionBus(t) }

// fakePool plays poold's side of the D-Bus API, just enough for poolctl.
type fakePool struct {
	conn    *dbus.Conn
	mu      sync.Mutex
	info    dbusapi.PoolInfo
	workers []dbusapi.WorkerInfo
	nextID  uint64
	fail    map[string]*dbus.Error // method name → the error it returns
	hold    chan struct{}          // when set, Reload waits on it after slot 0
	signals [][2]int32             // SignalWorkers calls
	// upgradeTo is the outcome of the next Upgrade, "upgraded" or "fell
	// back: REASON"; upgrades counts them.
	upgradeTo string
	upgrades  uint64
	// execs: Upgrade does as poold's exec does, ending its connection
	// before it can reply and serving the pool on a new one, on addr.
	execs bool
	addr  string
	// readyAfter is the upgrade's duration, which the pool says from its
	// second read on, with the outcome, as poold does once it told systemd
	// READY=1.
	readyAfter uint64
}

func serveFakePool(t *testing.T, addr, name string, workers int) *fakePool {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakePool{conn: conn, addr: addr, fail: map[string]*dbus.Error{}, info: dbusapi.PoolInfo{
		Name: name, Version: "test", State: "running", TargetWorkers: uint32(workers), MaxWorkers: 8,
		ReadyWorkers: uint32(workers), Generation: 1, Listen: []string{"http=127.0.0.1:3000"},
		Command: []string{"node", "server.js"}, MainPID: 4242, Bus: "session",
		Distribution: "shared", UpgradeOnInstall: true,
	}, upgradeTo: "upgraded"}
	for slot := range workers {
		f.workers = append(f.workers, f.newWorker(uint32(slot), "ready", 1))
	}
	if err := f.serveOn(conn); err != nil {
		t.Fatal(err)
	}
	return f
}

// serveOn exports the pool on conn and takes its name.
func (f *fakePool) serveOn(conn *dbus.Conn) error {
	if err := conn.Export(f, dbusapi.ManagerPath, dbusapi.ManagerInterface); err != nil {
		return err
	}
	if err := conn.Export(fakeProps{f}, dbusapi.ManagerPath, "org.freedesktop.DBus.Properties"); err != nil {
		return err
	}
	reply, err := conn.RequestName(dbusapi.BusName(f.info.Name), dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("request name: %v %v", reply, err)
	}
	return nil
}

func (f *fakePool) newWorker(slot uint32, state string, gen uint32) dbusapi.WorkerInfo {
	f.nextID++
	return dbusapi.WorkerInfo{ID: f.nextID, Slot: slot, PID: uint32(1000 + f.nextID), State: state,
		Generation: gen, Path: dbusapi.WorkerPath(f.nextID)}
}

func (f *fakePool) failure(method string) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[method]
}

func (f *fakePool) Scale(workers int32, flags uint64) *dbus.Error {
	if err := f.failure("Scale"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info.TargetWorkers = uint32(workers)
	return nil
}

// Reload replaces the workers slot by slot, announcing each step as poold
// does, and lets go of the lock between steps so that poolctl can read the
// pool meanwhile.
func (f *fakePool) Reload(flags uint64) (uint32, *dbus.Error) {
	if err := f.failure("Reload"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	gen := f.info.Generation + 1
	slots := len(f.workers)
	hold := f.hold
	f.mu.Unlock()
	for slot := range slots {
		f.replace(uint32(slot), gen)
		if hold != nil && slot == 0 {
			select {
			case <-hold:
			case <-time.After(testbound.Scale(10 * time.Second)):
				return 0, dbus.NewError(dbusapi.ErrorReloadFailed, []any{"poolctl printed no progress"})
			}
		}
	}
	f.mu.Lock()
	f.info.Generation = gen
	f.mu.Unlock()
	return gen, nil
}

func (f *fakePool) RestartWorker(slot uint32, flags uint64) *dbus.Error {
	if err := f.failure("RestartWorker"); err != nil {
		return err
	}
	f.mu.Lock()
	gen := f.info.Generation
	f.mu.Unlock()
	f.replace(slot, gen)
	return nil
}

// replace starts a worker in slot, makes it ready and removes the old one.
func (f *fakePool) replace(slot, gen uint32) {
	f.mu.Lock()
	w := f.newWorker(slot, "starting", gen)
	f.workers = append(f.workers, w)
	f.sortWorkers()
	f.mu.Unlock()
	f.emit(dbusapi.ManagerPath, dbusapi.ManagerInterface+"."+dbusapi.SignalWorkerNew, w.ID, w.Path)

	f.mu.Lock()
	var old dbusapi.WorkerInfo
	kept := f.workers[:0]
	for _, k := range f.workers {
		switch {
		case k.ID == w.ID:
			k.State = "ready"
		case k.Slot == slot:
			old = k
			continue
		}
		kept = append(kept, k)
	}
	f.workers = kept
	f.mu.Unlock()
	f.emit(w.Path, "org.freedesktop.DBus.Properties.PropertiesChanged", dbusapi.WorkerInterface,
		map[string]dbus.Variant{"State": dbus.MakeVariant("ready")}, []string{})
	f.emit(dbusapi.ManagerPath, dbusapi.ManagerInterface+"."+dbusapi.SignalWorkerRemoved, old.ID, old.Path)
}

func (f *fakePool) sortWorkers() {
	sort.SliceStable(f.workers, func(i, j int) bool { return f.workers[i].Slot < f.workers[j].Slot })
}

func (f *fakePool) emit(path dbus.ObjectPath, name string, args ...any) {
	if err := f.conn.Emit(path, name, args...); err != nil {
		panic(err)
	}
}

// Upgrade answers at once, then plays poold's exec: the pool leaves the bus
// and comes back with the new version (the old one when it fell back) and
// the upgrade's record, its workers kept.
func (f *fakePool) Upgrade(flags uint64) (string, *dbus.Error) {
	if err := f.failure("Upgrade"); err != nil {
		return "", err
	}
	f.mu.Lock()
	execs := f.execs
	f.mu.Unlock()
	if execs {
		return f.exec()
	}
	go func() {
		name := dbusapi.BusName(f.info.Name)
		f.conn.ReleaseName(name) //nolint:errcheck // the test sees it when poolctl does not find the pool again
		f.mu.Lock()
		f.upgrades++
		up := dbusapi.UpgradeInfo{From: f.info.Version, To: "1.3.0", StartedUSec: f.upgrades, DurationUSec: 180_000, Outcome: f.upgradeTo}
		if up.Outcome == "upgraded" {
			f.info.Version = up.To
		} else {
			up.To = up.From // as poold records a fall-back
		}
		f.info.LastUpgrade = up
		f.mu.Unlock()
		f.conn.RequestName(name, dbus.NameFlagDoNotQueue) //nolint:errcheck // as above
	}()
	return "1.3.0", nil
}

// exec ends the pool's connection with this call unanswered, as poold's
// exec does, and serves the pool upgraded on a new connection.
func (f *fakePool) exec() (string, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conn.Close()
	f.upgrades++
	f.info.LastUpgrade = dbusapi.UpgradeInfo{From: f.info.Version, To: "1.3.0", StartedUSec: f.upgrades}
	f.readyAfter = 95_000
	f.info.Version = "1.3.0"
	conn, err := dbus.Connect(f.addr)
	if err == nil {
		f.conn = conn
		go f.serveOn(conn) //nolint:errcheck // poolctl would not find the pool: the test fails
	}
	return "", dbus.MakeFailedError(errors.New("no reply can go out on a closed connection"))
}

func (f *fakePool) SignalWorkers(slot, signal int32) *dbus.Error {
	if err := f.failure("SignalWorkers"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signals = append(f.signals, [2]int32{slot, signal})
	return nil
}

func (f *fakePool) ListWorkers() ([]dbusapi.WorkerInfo, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dbusapi.WorkerInfo(nil), f.workers...), nil
}

type fakeProps struct{ f *fakePool }

func (p fakeProps) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	props := map[string]dbus.Variant{}
	v := reflect.ValueOf(p.f.info)
	for i := range v.NumField() {
		props[v.Type().Field(i).Name] = dbus.MakeVariant(v.Field(i).Interface())
	}
	if p.f.readyAfter != 0 {
		up := &p.f.info.LastUpgrade
		up.DurationUSec, up.Outcome, p.f.readyAfter = p.f.readyAfter, "upgraded", 0
	}
	return props, nil
}

// Get is GetAll's, one at a time.
func (p fakeProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	all, _ := p.GetAll(iface)
	v, ok := all[name]
	if !ok {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{"no property " + name})
	}
	return v, nil
}

func TestAgainstFakePool(t *testing.T) {
	addr := startBus(t)
	express := serveFakePool(t, addr, "express", 2)
	myApp := serveFakePool(t, addr, "my-app", 1)
	getenv := env("DBUS_SESSION_BUS_ADDRESS", addr)
	pc := func(args ...string) result { return poolctl(t, getenv, args...) }
	expect := func(t *testing.T, r result, code int, stdout, stderr string) {
		t.Helper()
		if r.code != code || r.stdout != stdout || r.stderr != stderr {
			t.Errorf("got code %d\nstdout:\n%s\nstderr:\n%s\nwant code %d\nstdout:\n%s\nstderr:\n%s",
				r.code, r.stdout, r.stderr, code, stdout, stderr)
		}
	}

	t.Run("list", func(t *testing.T) {
		expect(t, pc("list"), 0, `NAME     BUS      STATE    WORKERS  GENERATION  MAIN PID
express  session  running  2/2      1           4242
my-app   session  running  1/1      1           4242

2 pools listed.
`, "")
	})
	t.Run("status", func(t *testing.T) {
		r := pc("status", "my-app")
		want := "● my-app\n      State: running, 1/1 workers ready, generation 1\n"
		if r.code != 0 || !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "\n0     1001  ready  1    -  ") {
			t.Errorf("code %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("status --json", func(t *testing.T) {
		r := pc("status", "--json", "express")
		if r.code != 0 || !strings.Contains(r.stdout, `"bus_address": "`+addr+`"`) || strings.Count(r.stdout, `"slot"`) != 2 {
			t.Errorf("code %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("unknown pool", func(t *testing.T) {
		expect(t, pc("status", "nosuch"), 1, "",
			`poolctl: no pool named "nosuch" (looked on: session bus, private buses under /run/poold; could not reach: system bus); see 'poolctl list'`+"\n")
	})
	t.Run("scale", func(t *testing.T) {
		expect(t, pc("scale", "express", "4"), 0, "express: scaling from 2 to 4 workers\n", "")
		expect(t, pc("scale", "express", "1"), 0, "express: scaling from 4 to 1 worker\n", "")
		express.mu.Lock()
		defer express.mu.Unlock()
		if express.info.TargetWorkers != 1 {
			t.Errorf("target %d after scale", express.info.TargetWorkers)
		}
		express.info.TargetWorkers = 2
	})
	t.Run("reload", func(t *testing.T) {
		expect(t, pc("reload", "express"), 0, "slot 0: worker 1003 ready (generation 2)\n"+
			"slot 1: worker 1004 ready (generation 2)\nexpress: reloaded to generation 2\n", "")
	})
	t.Run("reload progress", func(t *testing.T) {
		// Slot 0 is printed while the reload still runs: from the events.
		hold := make(chan struct{})
		express.mu.Lock()
		express.hold = hold
		express.mu.Unlock()
		w := &lineWatcher{want: "slot 0: worker ", seen: hold}
		r := poolctlTo(t, w, getenv, "reload", "express")
		if r.code != 0 || r.stderr != "" {
			t.Errorf("code %d, stderr %q, stdout %q", r.code, r.stderr, w.b.String())
		}
		express.mu.Lock()
		defer express.mu.Unlock()
		// Back to generation 1, the workers too: a worker of a newer
		// generation than the pool's would count as a new one in the next
		// reload, printed or not depending on when poolctl reads the pool.
		express.info.Generation, express.hold = 1, nil
		for i := range express.workers {
			express.workers[i].Generation = 1
		}
	})
	t.Run("restart all", func(t *testing.T) {
		expect(t, pc("restart", "express", "all"), 0, "slot 0: worker 1007 ready (generation 2)\n"+
			"slot 1: worker 1008 ready (generation 2)\nexpress: reloaded to generation 2\n", "")
	})
	t.Run("restart", func(t *testing.T) {
		expect(t, pc("restart", "express", "1"), 0, "express: slot 1: worker 1009 ready (generation 2)\n", "")
	})
	t.Run("signal", func(t *testing.T) {
		expect(t, pc("signal", "express", "usr2"), 0, "express: sent SIGUSR2 to every worker\n", "")
		expect(t, pc("signal", "express", "1", "1"), 0, "express: sent SIGHUP to the worker of slot 1\n", "")
		express.mu.Lock()
		defer express.mu.Unlock()
		if want := [][2]int32{{-1, 12}, {1, 1}}; !reflect.DeepEqual(express.signals, want) {
			t.Errorf("signals %v, want %v", express.signals, want)
		}
	})
	t.Run("errors", func(t *testing.T) {
		fail := func(method, name, msg string) {
			express.mu.Lock()
			defer express.mu.Unlock()
			express.fail = map[string]*dbus.Error{method: dbus.NewError(name, []any{msg})}
		}
		defer fail("", "", "")
		fail("Reload", dbusapi.ErrorReloadFailed, "reload failed: slot 1: worker 1012 exited with status 1 before it was ready")
		expect(t, pc("reload", "express"), 1, "",
			"poolctl: express: reload failed: slot 1: worker 1012 exited with status 1 before it was ready\n")
		fail("Scale", dbusapi.ErrorBusy, "a reload is running")
		expect(t, pc("scale", "express", "3"), 1, "",
			"poolctl: express: a reload is running (a reload, restart or upgrade is in progress; try again when it ends)\n")
		fail("SignalWorkers", dbusapi.ErrorNotPermitted, "uid 1000 may not change express")
		expect(t, pc("signal", "express", "HUP"), 1, "",
			"poolctl: express: uid 1000 may not change express (changing a pool needs root or membership in the poold group)\n")
		fail("RestartWorker", dbusapi.ErrorNoSuchWorker, "no worker in slot 7")
		expect(t, pc("restart", "express", "7"), 1, "", "poolctl: express: no worker in slot 7\n")
	})
	t.Run("completion", func(t *testing.T) {
		r := pc("__complete", "status", "")
		if want := "express\nmy-app\n:4\n"; !strings.HasPrefix(r.stdout, want) {
			t.Errorf("pool names: %q, want %q...", r.stdout, want)
		}
		r = pc("__complete", "restart", "express", "")
		if want := "0\n1\nall\n:4\n"; !strings.HasPrefix(r.stdout, want) {
			t.Errorf("slots: %q, want %q...", r.stdout, want)
		}
		r = pc("__complete", "reload", "ex")
		if want := "express\n:4\n"; !strings.HasPrefix(r.stdout, want) {
			t.Errorf("prefix: %q, want %q...", r.stdout, want)
		}
	})
	t.Run("upgrade", func(t *testing.T) {
		express.mu.Lock()
		express.upgradeTo = "fell back: the new poold exited with status 2 before it was ready"
		express.mu.Unlock()
		expect(t, pc("upgrade", "express"), 1, "", "poolctl: express: upgrade to poold 1.3.0 fell back to test: "+
			"the new poold exited with status 2 before it was ready; 2 workers kept\n")
		express.mu.Lock()
		express.upgradeTo = "upgraded"
		express.mu.Unlock()
		expect(t, pc("upgrade", "express"), 0, "express: upgraded poold test → 1.3.0 in 180ms, 2 workers kept\n", "")
		express.mu.Lock()
		express.fail = map[string]*dbus.Error{"Upgrade": dbus.NewError(dbusapi.ErrorUpgradeFailed,
			[]any{"/usr/bin/poold --version: exit status 127; reinstall poold"})}
		express.mu.Unlock()
		expect(t, pc("upgrade", "express"), 1, "", "poolctl: express: /usr/bin/poold --version: exit status 127; reinstall poold\n")
		express.mu.Lock()
		express.fail = map[string]*dbus.Error{}
		express.mu.Unlock()
		expect(t, pc("upgrade", "express", "my-app"), 2, "", "poolctl: upgrade needs a pool name, or --all, got 2 arguments (see 'poolctl upgrade --help')\n")
		expect(t, pc("upgrade", "--all", "express"), 2, "", "poolctl: upgrade needs no pool name with --all, got 1 argument (see 'poolctl upgrade --help')\n")
	})
	t.Run("upgrade --all --on-install", func(t *testing.T) {
		myApp.mu.Lock()
		myApp.info.UpgradeOnInstall = false
		myApp.mu.Unlock()
		expect(t, pc("upgrade", "--all", "--on-install"), 0, "express: upgraded poold 1.3.0 → 1.3.0 in 180ms, 2 workers kept\n"+
			"my-app: skipped: upgrade-on-install = false in its config file; restart it to run the new poold\n", "")
		r := pc("upgrade", "--all", "--json")
		if r.code != 0 || !strings.Contains(r.stdout, `"name": "my-app",
    "bus": "session",`) || strings.Count(r.stdout, `"result": "upgraded"`) != 2 || !strings.Contains(r.stdout, `"workers_kept": 2`) {
			t.Errorf("code %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("verbose", func(t *testing.T) {
		r := pc("list", "--verbose")
		if want := "poolctl: skipping the system bus unix:abstract=poolctl-test-no-such-bus: "; !strings.HasPrefix(r.stderr, want) {
			t.Errorf("stderr %q, want %q...", r.stderr, want)
		}
	})
}

// lineWatcher closes seen once want has been written to it.
type lineWatcher struct {
	b    bytes.Buffer
	want string
	seen chan struct{}
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	had := strings.Contains(w.b.String(), w.want)
	w.b.Write(p)
	if !had && strings.Contains(w.b.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}
