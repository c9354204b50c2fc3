package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/poold/poold/activation"
)

// getFrom asks url on a new connection from the local address src.
func getFrom(url, src string) (answer, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, DialContext: d.DialContext},
		Timeout:   bound,
	}
	return getWith(c, url)
}

// source is the i-th of many client addresses in 127.0.0.0/8.
func source(i int) string { return fmt.Sprintf("127.%d.%d.%d", 1+i/62500, i/250%250, 1+i%250) }

// Balanced: new connections from many addresses spread evenly over the
// workers, which a shared socket does not promise.
func TestBalancedSpreadsConnectionsEvenly(t *testing.T) {
	t.Parallel()
	const workers, requests = 3, 1500
	p := start(t, spec{args: []string{"--distribution", "balanced", "--listen", "127.0.0.1:0", "--workers", itoa(workers)}, helper: "serve"})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	bySlot := map[string]int{}
	for i := range requests {
		a, err := getFrom(url, source(i))
		if err != nil {
			t.Fatalf("request %d from %s: %v", i, source(i), err)
		}
		bySlot[a.Slot]++
	}
	lo, hi := requests, 0
	for _, n := range bySlot {
		lo, hi = min(lo, n), max(hi, n)
	}
	t.Logf("connections per slot: %v", bySlot)
	if len(bySlot) != workers || float64(hi)/float64(lo) > 1.3 {
		t.Errorf("connections per slot %v: want %d slots within max/min 1.3", bySlot, workers)
	}
}

// Sticky: every client address keeps its slot across a worker's SIGKILL and
// a rolling reload; a scale from 3 to 4 moves about a quarter of them, all
// to the new slot; no request fails meanwhile.
func TestStickyKeepsClientsOnTheirSlot(t *testing.T) {
	t.Parallel()
	const workers, addrs, minRequests = 3, 150, 100
	name := uniqueName(t)
	p := start(t, spec{
		args:   []string{"--name", name, "--distribution", "sticky", "--listen", "127.0.0.1:0", "--workers", itoa(workers)},
		helper: "drain-serve",
	})
	url := "http://" + p.addr() + "/"
	p.waitReady() // the slot program follows readiness before the pool is announced ready
	slotsOf := func(when string) []string { return slotsFrom(t, url, addrs, when) }
	first := slotsOf("at start")
	if again := slotsOf("again"); strings.Join(again, ",") != strings.Join(first, ",") {
		t.Fatalf("the same addresses reached other slots on a second round")
	}
	l := startLoad(t, url, 2)
	l.waitWarm(t)

	l.setPhase(1)
	// Sticky means one address, one worker. The load comes from 127.0.0.1:
	// kill the worker of another slot, which holds kept-alive connections
	// of no client, then ask from that slot's addresses at once. Their
	// connections queue on the slot's socket, which poold holds, until the
	// new worker takes them.
	loadSlot, err := get(url)
	if err != nil {
		t.Fatal(err)
	}
	victimSlot := "1"
	if loadSlot.Slot == victimSlot {
		victimSlot = "2"
	}
	i := slices.Index(first, victimSlot)
	if i < 0 {
		t.Fatalf("no address reached slot %s: %v", victimSlot, first)
	}
	victim, err := getFrom(url, source(i))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Until it is dead, the worker may still accept a connection it will
	// never answer: ask once it has been reaped, most likely before its
	// replacement (100 ms of backoff away) is ready.
	p.waitSeen(`WRN worker exited unexpectedly .*\bpid=`+itoa(victim.PID)+`\b`, bound)
	sameSlots(t, "after a SIGKILL of slot "+victimSlot+"'s worker", first, slotsOf("after SIGKILL"))
	p.waitSeen(`INF worker ready .*\bslot=`+victimSlot+` `, bound)

	l.setPhase(2)
	p.signal(syscall.SIGHUP)
	p.waitLog(`INF reload complete .*\bgeneration=2\b`, bound)
	sameSlots(t, "after a rolling reload", first, slotsOf("after the reload"))

	l.setPhase(3)
	mustPoolctl(t, nil, "scale", name, "4")
	// A worker's ready line is logged before the loop steers the program.
	p.waitLog(`INF distribution: new connections go to slots .*\bslots="\[0 1 2 3\]"`, bound)
	after := slotsOf("after the scale up")
	moved := 0
	for i := range first {
		if after[i] != first[i] {
			if after[i] != "3" {
				t.Errorf("%s moved from slot %s to %s on the scale up, not to the new slot 3", source(i), first[i], after[i])
			}
			moved++
		}
	}
	share := float64(moved) / addrs
	t.Logf("scale 3→4 moved %d of %d addresses (%.2f)", moved, addrs, share)
	if share > 0.25+0.12 || moved == 0 {
		t.Errorf("scale 3→4 moved %.2f of the addresses, want about 0.25", share)
	}
	sum := l.stop()
	sum.check(t, minRequests)
}

// slotsFrom asks url once from each of the first n addresses of source
// and returns the slot that answered each.
func slotsFrom(t *testing.T, url string, n int, when string) []string {
	t.Helper()
	slots := make([]string, n)
	for i := range slots {
		a, err := getFrom(url, source(i))
		if err != nil {
			t.Fatalf("%s: request from %s: %v", when, source(i), err)
		}
		slots[i] = a.Slot
	}
	return slots
}

func sameSlots(t *testing.T, when string, want, got []string) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %s went to slot %s, before to %s", when, source(i), got[i], want[i])
		}
	}
}

// activated runs poold the way systemd activates it: the socket as fd 3,
// LISTEN_FDS and LISTEN_PID set to poold's own PID.
func activated(socks []activation.Socket, args ...string) spec {
	return spec{
		wrap:   []string{"sh", "-c", `LISTEN_PID=$$ exec "$@"`, "sh"},
		env:    []string{"LISTEN_FDS=1", "LISTEN_FDNAMES=http"},
		files:  []*os.File{socks[0].File},
		args:   args,
		helper: "serve",
	}
}

// Under socket activation, with the socket made as a .socket unit with
// ReusePort=yes makes it, poold adds the other slots' sockets to it.
func TestStickyUnderSocketActivation(t *testing.T) {
	t.Parallel()
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}}, activation.SharePort)
	if err != nil {
		t.Fatal(err)
	}
	defer activation.CloseAll(socks)
	p := start(t, activated(socks, "--distribution", "sticky", "--workers", "3"))
	p.waitLog(`INF sockets from systemd fd=3 name=http `, bound)
	p.waitReady()
	url := "http://" + socks[0].Addr + "/"
	slots := map[string]bool{}
	for i := 0; i < 300 && len(slots) < 3; i++ {
		a, err := getFrom(url, source(i))
		if err != nil {
			t.Fatalf("request from %s: %v", source(i), err)
		}
		slots[a.Slot] = true
	}
	if len(slots) != 3 {
		t.Errorf("300 addresses reached slots %v, want all 3", slots)
	}
}

// A socket without SO_REUSEPORT (a .socket unit without ReusePort=yes)
// cannot be spread: poold says what to change and does not start.
func TestDistributionNeedsReusePortUnderActivation(t *testing.T) {
	t.Parallel()
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer activation.CloseAll(socks)
	p := start(t, activated(socks, "--distribution", "balanced", "--workers", "2"))
	if code := p.wait(bound); code != 1 {
		t.Errorf("poold exited %d, want 1", code)
	}
	p.waitSeen(`poold cannot start .*ReusePort=yes`, bound) // the output may come after the exit is seen
}
