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

// startHealthBehaviour sends WATCHDOG=1 every WATCHDOG_USEC/2 until
// SIGUSR1, like a worker whose heartbeat thread dies.
func startHealthBehaviour() {
	usec, err := strconv.Atoi(os.Getenv("WATCHDOG_USEC"))
	if err != nil || usec <= 0 {
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGUSR1)
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
