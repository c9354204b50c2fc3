package e2e

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// silentSlotEnv names a slot whose worker sends no heartbeat at all.
const silentSlotEnv = "GO_E2E_SILENT_SLOT"

// startHealthBehaviour sends WATCHDOG=1 at once and then every
// WATCHDOG_USEC/2 until SIGUSR1, like a worker whose heartbeat thread
// dies; the worker of slot $GO_E2E_SILENT_SLOT sends none.
func startHealthBehaviour() {
	usec, err := strconv.Atoi(os.Getenv("WATCHDOG_USEC"))
	if err != nil || usec <= 0 || os.Getenv("POOLD_SLOT") == os.Getenv(silentSlotEnv) {
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGUSR1)
	daemon.SdNotify(false, daemon.SdNotifyWatchdog)
	go func() {
		tick := time.NewTicker(time.Duration(usec) * time.Microsecond / 2)
		for {
			select {
			case <-tick.C:
				daemon.SdNotify(false, daemon.SdNotifyWatchdog)
			case <-stop:
				fmt.Fprintf(os.Stderr, "e2e-helper: heartbeats stopped pid=%d\n", os.Getpid())
				return
			}
		}
	}()
}
