package e2e

import (
	"net/http"
	"os"
	"testing"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/poold/poold/worker"
)

// workerServe is a Go worker written with poold's worker package: the
// helper "worker-serve".
func workerServe() int {
	me := answer{
		PID: os.Getpid(), Slot: os.Getenv("POOLD_SLOT"), Generation: os.Getenv("POOLD_GENERATION"),
		ListenPID: os.Getenv("LISTEN_PID"), NotifySocket: os.Getenv("NOTIFY_SOCKET"),
	}
	if err := worker.Serve(&http.Server{Handler: handler(me)}); err != nil {
		return helperFailed("worker.Serve: %v", err)
	}
	return 0
}

// plainServe is the same worker without the package: net/http on the
// inherited socket and nothing for SIGTERM, which ends a Go program at
// once. The helper "plain-serve".
func plainServe() int {
	me := answer{PID: os.Getpid(), Slot: os.Getenv("POOLD_SLOT"), Generation: os.Getenv("POOLD_GENERATION")}
	ls, err := activation.Listeners()
	if err != nil || len(ls) == 0 {
		return helperFailed("no inherited listener: %v", err)
	}
	if err := sayReady(false); err != nil {
		return helperFailed("ready: %v", err)
	}
	return helperFailed("serve: %v", http.Serve(ls[0], handler(me)))
}

// Go workers that serve with the worker package: three rolling reloads
// under load fail no request, on kept-alive and new connections, also for
// clients that never retry, and every worker replaced exits 0 once
// drained.
func TestGoWorkerPackageReloadsDroppingNothing(t *testing.T) {
	t.Parallel()
	p, f := reloadPool(t, spec{helper: "worker-serve"}, "worker-serve")
	f.check(t, "3 reloads", 50)
	p.waitReplacedExitedZero(4)
}

// The same worker without the package dies at SIGTERM, and the same
// reloads fail requests: kept-alive clients that never retry lose at least
// the request after their worker died. So the test above can fail.
func TestGoWorkerWithoutThePackageFailsRequests(t *testing.T) {
	t.Parallel()
	_, f := reloadPool(t, spec{helper: "plain-serve"}, "plain-serve")
	if f.raw.failed == 0 {
		t.Errorf("no request without retry failed (%v); want some, as every worker died under them", f)
	}
}
