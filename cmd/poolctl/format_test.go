package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
)

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		give uint64
		want string
	}{
		{0, "-"},
		{1, "1B"},
		{1023, "1023B"},
		{1024, "1.0K"},
		{1536, "1.5K"},
		{50_443_059, "48.1M"},
		{3 << 30, "3.0G"},
		{5 << 40, "5.0T"},
		{1 << 62, "4.0E"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.give); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		give time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{999 * time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{time.Minute, "1m00s"},
		{3*time.Minute + 12*time.Second, "3m12s"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h05m"},
		{26 * time.Hour, "1d02h"},
		{400 * 24 * time.Hour, "400d00h"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.give); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

// usec is a time before testNow as µs since the epoch.
func usec(ago time.Duration) uint64 { return uint64(testNow.Add(-ago).UnixMicro()) }

func testStatus() poolStatus {
	return poolStatus{
		Bus: dbusapi.Address{Kind: dbusapi.BusSystem, Address: "unix:path=/run/dbus/system_bus_socket,guid=0123abcd"},
		Status: dbusapi.Status{
			Pool: dbusapi.PoolInfo{
				Name: "express", Version: "0.3.0", State: "reloading", StatusText: "reloading: 1/2 slots",
				TargetWorkers: 2, MaxWorkers: 8, ReadyWorkers: 2, StartingWorkers: 1, Generation: 3,
				WorkersReason: "2 workers, limited by 2 CPUs in affinity", ReadyMode: "notify",
				Listen:  []string{"http=127.0.0.1:3000", "admin=/run/express/admin.sock"},
				Command: []string{"node", "server.js", "--title", "my app"}, MainPID: 1200, Bus: "system",
				Distribution: "sticky", WorkerCgroups: "per worker (delegated: memory, cpu, pids)",
				Generations: []dbusapi.GenerationInfo{
					{Generation: 2, From: 1, Workers: 2, Command: []string{"node", "server.js", "--title", "my app"}},
					{Generation: 3, From: 2, Workers: 1, Command: []string{"node", "server2.js"},
						CommandFrom: []string{"node", "server.js", "--title", "my app"}, CommandTo: []string{"node", "server2.js"},
						EnvAdded: []string{"REDIS_URL"}, EnvChanged: []string{"DB_URL", "PORT"}, Other: []string{"node-drain true → false"}},
				},
			},
			Workers: []dbusapi.WorkerInfo{
				{ID: 1, Slot: 0, PID: 1201, State: "ready", Generation: 2, StartedUSec: usec(26*time.Hour + 3*time.Minute),
					LastHeartbeatUSec: usec(2 * time.Second), Restarts: 0, StatusText: "serving",
					MemoryCurrent: 50_443_059, CPUUsageNSec: 12_345_000_000,
					MetricsUSec: usec(3 * time.Second), LoopDelayP99USec: 12_345, HeapUsedBytes: 20 << 20, RequestsTotal: 4711},
				{ID: 9, Slot: 0, PID: 1377, State: "starting", Generation: 3, StartedUSec: usec(4 * time.Second)},
				{ID: 2, Slot: 1, PID: 98765, State: "ready", Generation: 2, StartedUSec: usec(3*time.Minute + 12*time.Second),
					Restarts: 12, StatusText: "evil\x1b[2Jtext", MemoryCurrent: 1023, CPUUsageNSec: 500_000_000},
			},
		},
	}
}

func TestWriteStatus(t *testing.T) {
	var b bytes.Buffer
	if err := writeStatus(&b, testStatus(), view{now: testNow}); err != nil {
		t.Fatal(err)
	}
	want := `● express
      State: reloading, 2/2 workers ready (1 starting), generation 3
    Workers: target 2, max 8; 2 workers, limited by 2 CPUs in affinity
     Listen: http=127.0.0.1:3000
             admin=/run/express/admin.sock
Connections: sticky
    Cgroups: per worker (delegated: memory, cpu, pids)
    Command: node server.js --title 'my app'
Generations: 2 (from 1, 2 workers): no change
             3 (from 2, 1 worker, the pool's): command node server.js --title 'my app' → node server2.js; env +REDIS_URL ~DB_URL ~PORT; node-drain true → false
   Main PID: 1200 (poold 0.3.0)
     Status: "reloading: 1/2 slots"
        Bus: system (unix:path=/run/dbus/system_bus_socket)

SLOT  PID    STATE     GEN  UPTIME  RESTARTS  HEARTBEAT  MEM    CPU     LOOP P99  HEAP   REQS  STATUS
0     1201   ready     2    1d02h   0         2s ago     48.1M  12.35s  12.3ms    20.0M  4711  serving
0     1377   starting  3    4s      0         -          -      -       -         -      -     -
1     98765  ready     2    3m12s   12        -          1023B  0.50s   -         -      -     evil\x1b[2Jtext
`
	if b.String() != want {
		t.Errorf("status view:\n%s\nwant:\n%s", b.String(), want)
	}
}

// A poold whose binary a package upgrade replaced says what a restart runs.
func TestWriteStatusBinaryReplaced(t *testing.T) {
	for _, tt := range []struct{ give, want string }{
		{"0.4.0", "   Main PID: 1200 (poold 0.3.0)\n     Binary: replaced on disk, restart or upgrade to run version 0.4.0\n"},
		{"", "     Binary: replaced or removed on disk; restart to run the binary now at poold's path\n"},
	} {
		st := testStatus()
		st.Pool.BinaryReplaced, st.Pool.ReplacementVersion = true, tt.give
		var b bytes.Buffer
		writeStatus(&b, st, view{now: testNow})
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("replaced by %q:\n%s\nwant it to hold\n%s", tt.give, b.String(), tt.want)
		}
	}
}

// The last upgrade shows when and how it went.
func TestWriteStatusLastUpgrade(t *testing.T) {
	started := uint64(testNow.Add(-5*time.Minute - 2*time.Second).UnixMicro())
	for _, tt := range []struct {
		give dbusapi.UpgradeInfo
		want string
	}{
		{dbusapi.UpgradeInfo{From: "0.2.0", To: "0.3.0", StartedUSec: started, DurationUSec: 180_400, Outcome: "upgraded"},
			"   Main PID: 1200 (poold 0.3.0)\n    Upgrade: 0.2.0 → 0.3.0 5m02s ago, upgraded in 180ms\n"},
		{dbusapi.UpgradeInfo{From: "0.3.0", To: "0.4.0", StartedUSec: started, Outcome: "fell back: exit status 2"},
			"    Upgrade: 0.3.0 → 0.4.0 5m02s ago, fell back: exit status 2\n"},
		{dbusapi.UpgradeInfo{}, "   Main PID: 1200 (poold 0.3.0)\n     Status:"},
	} {
		st := testStatus()
		st.Pool.LastUpgrade = tt.give
		var b bytes.Buffer
		writeStatus(&b, st, view{now: testNow})
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("upgrade %+v:\n%s\nwant it to hold\n%s", tt.give, b.String(), tt.want)
		}
	}
}

func TestWriteStatusColor(t *testing.T) {
	for state, code := range map[string]string{"running": "32", "reloading": "33", "degraded": "31"} {
		st := testStatus()
		st.Pool.State = state
		var b bytes.Buffer
		writeStatus(&b, st, view{now: testNow, color: true})
		if want := "\x1b[0;1;" + code + "m●\x1b[0m express\n"; !strings.HasPrefix(b.String(), want) {
			t.Errorf("%s: first line %q, want %q", state, strings.SplitN(b.String(), "\n", 2)[0], want)
		}
	}
}

func TestWriteList(t *testing.T) {
	a := testStatus()
	b := testStatus()
	b.Pool.Name, b.Pool.State, b.Pool.ReadyWorkers, b.Pool.TargetWorkers = "my-long-api", "degraded", 3, 16
	b.Pool.Generation, b.Pool.MainPID = 12, 77
	b.Bus = dbusapi.Address{Kind: dbusapi.BusPrivate, Address: "unix:path=/run/poold/my-long-api.77/bus"}
	var out bytes.Buffer
	if err := writeList(&out, []poolStatus{a, b}, "unused"); err != nil {
		t.Fatal(err)
	}
	want := `NAME         BUS      STATE      WORKERS  GENERATION  MAIN PID
express      system   reloading  2/2      3           1200
my-long-api  private  degraded   3/16     12          77

2 pools listed.
`
	if out.String() != want {
		t.Errorf("list:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	writeList(&out, nil, "looked on: system bus")
	if want := "No pools found (looked on: system bus).\n"; out.String() != want {
		t.Errorf("empty list: %q, want %q", out.String(), want)
	}
}

func TestReloadProgress(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, 2)
	st := testStatus().Status
	p.update(st) // slot 0's new worker is still starting
	st.Workers[1].State = "ready"
	p.update(st)
	p.update(st) // printed once
	st.Workers = append(st.Workers, dbusapi.WorkerInfo{ID: 10, Slot: 1, PID: 1400, State: "ready", Generation: 3})
	p.update(st)
	want := "slot 0: worker 1377 ready (generation 3)\nslot 1: worker 1400 ready (generation 3)\n"
	if out.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestDescribeBuses(t *testing.T) {
	priv := func(p string) dbusapi.Address {
		return dbusapi.Address{Kind: dbusapi.BusPrivate, Address: "unix:path=" + p}
	}
	tests := []struct {
		give []dbusapi.Address
		want string
	}{
		{nil, "no bus"},
		{[]dbusapi.Address{{Kind: dbusapi.BusSession, Address: "unix:path=/run/user/0/bus,guid=1"}}, "session bus"},
		{[]dbusapi.Address{priv("/run/poold/a.1/bus")}, "private bus at /run/poold/a.1/bus"},
		{[]dbusapi.Address{priv("/run/poold/a.1/bus"), priv("/run/poold/b.2/bus")}, "private buses under /run/poold"},
		{[]dbusapi.Address{priv("/run/poold/a.1/bus"), priv("/run/user/0/poold/b.2/bus")}, "private buses under /run"},
		{[]dbusapi.Address{{Kind: dbusapi.BusPrivate, Address: "tcp:host=x,port=1"}}, "private bus at tcp:host=x,port=1"},
	}
	for _, tt := range tests {
		if got := describeBuses(tt.give); got != tt.want {
			t.Errorf("describeBuses(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
