package e2e

import (
	"strings"
	"syscall"
	"testing"

	"github.com/poold/poold/internal/fdstoretest"
)

// restart starts poold as systemd starts the service again: the fds in
// its store as fds 3.., with their names, and NOTIFY_SOCKET. Like
// systemd, the test then keeps only the store's copies.
func restart(t *testing.T, store *fdstoretest.Store, args ...string) *pool {
	t.Helper()
	files, names := store.Passed(t)
	p := start(t, spec{
		wrap:   []string{"sh", "-c", `LISTEN_PID=$$ exec "$@"`, "sh"},
		env:    []string{"NOTIFY_SOCKET=" + store.Path, "LISTEN_FDS=" + itoa(len(files)), "LISTEN_FDNAMES=" + strings.Join(names, ":")},
		files:  files,
		args:   args,
		helper: "serve",
	})
	closeAll(files)
	return p
}

// A poold with no socket unit, killed with its workers, started again by
// "systemd" with what it put in the fd store: it serves on the same
// --listen socket and the same sticky slots' sockets, every client address
// on its slot, and answers the connections that queued on them while no
// poold ran.
func TestKilledPooldTakesItsSocketsBack(t *testing.T) {
	t.Parallel()
	store := fdstoretest.Listen(t)
	const workers, addrs = 3, 60
	first := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--distribution", "sticky", "--workers", itoa(workers)},
		env:    []string{"NOTIFY_SOCKET=" + store.Path},
		helper: "serve",
	})
	addr := first.addr()
	first.waitReady()
	url := "http://" + addr + "/"
	before := slotsFrom(t, url, addrs, "before the kill")
	store.WaitHolds(t, bound, map[string]int{"poold-listen-0": 1, "poold-slot-1": 1, "poold-slot-2": 1})

	// As systemd kills a service whose main process died (KillMode=mixed):
	// poold, then what is left of it.
	first.signal(syscall.SIGKILL)
	first.wait(bound)
	first.logs.killLive()
	if left := first.logs.workersLeft(bound); len(left) > 0 {
		t.Fatalf("workers %v still run after SIGKILL", left)
	}
	// No poold runs: these wait on the stored sockets, the slots' too.
	answers := make(chan error, addrs)
	for i := range addrs {
		go func() {
			a, err := getFrom(url, source(i))
			if err == nil && a.Slot != before[i] {
				err = &slotError{source(i), before[i], a.Slot}
			}
			answers <- err
		}()
	}

	second := restart(t, store, "--listen", addr, "--distribution", "sticky", "--workers", itoa(workers))
	second.waitLog(`INF socket taken back from systemd's fd store fd=3 name=listen network=tcp addr=`+addr, bound)
	second.waitLog(`INF distribution: took back the sockets a previous poold kept in systemd's fd store slots=2`, bound)
	second.waitReady()
	for range addrs {
		if err := <-answers; err != nil {
			t.Errorf("a connection made while no poold ran: %v", err)
		}
	}
	sameSlots(t, "after the restart", before, slotsFrom(t, url, addrs, "after the restart"))
	if second.sawLog("dropped a socket") {
		t.Errorf("poold dropped a stored socket: %q", second.linesWith("dropped a socket"))
	}
}

type slotError struct{ from, before, after string }

func (e *slotError) Error() string {
	return e.from + " went to slot " + e.before + " before the kill, to " + e.after + " after"
}

// A restart that keeps the store (systemctl restart does) after the
// configuration changed: the stored --listen socket has no SO_REUSEPORT,
// which --distribution balanced needs. poold drops it from the store,
// waits until "systemd" closed it, binds the address anew and stores that.
func TestStoredSocketThatNoLongerFitsIsReplaced(t *testing.T) {
	t.Parallel()
	store := fdstoretest.Listen(t)
	first := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", "1"},
		env:    []string{"NOTIFY_SOCKET=" + store.Path},
		helper: "serve",
	})
	addr := first.addr()
	first.waitReady()
	store.WaitHolds(t, bound, map[string]int{"poold-listen-0": 1})
	first.stop()

	second := restart(t, store, "--listen", addr, "--distribution", "balanced", "--workers", "2")
	second.waitLog(`WRN fd store: dropped a socket a previous poold kept name=poold-listen-0 reason=.*no SO_REUSEPORT`, bound)
	second.waitLog(`INF sockets bound fd=3 name=listen network=tcp addr=`+addr, bound)
	second.waitReady()
	if _, err := get("http://" + addr + "/"); err != nil {
		t.Fatal(err)
	}
	store.WaitHolds(t, bound, map[string]int{"poold-listen-0": 1, "poold-slot-1": 1})
}
