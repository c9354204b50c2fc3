package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

func init() {
	// extend-forever says READY=1 and, on SIGTERM, asks for 2^64-1 µs
	// more (systemd's infinity) instead of exiting: only SIGKILL ends it.
	helpers["extend-forever"] = extendForever
}

func extendForever() int {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	fmt.Fprintf(os.Stderr, "e2e-helper: notify socket %s pid=%d\n", os.Getenv("NOTIFY_SOCKET"), os.Getpid())
	if err := sayReady(false); err != nil {
		return helperFailed("ready: %v", err)
	}
	for range term {
		if _, err := daemon.SdNotify(false, "EXTEND_TIMEOUT_USEC=18446744073709551615"); err != nil {
			return helperFailed("extend: %v", err)
		}
	}
	return 0
}

// A stopping worker that asks for endless time gets SIGKILL at the hard
// cap, twice --stop-timeout after its SIGTERM, and poold exits 0 with its
// runtime directory removed.
func TestWorkerExtendingItsStopForeverIsKilledAtTheHardCap(t *testing.T) {
	t.Parallel()
	const stopTimeout = time.Second
	p := start(t, spec{args: []string{"--listen", "127.0.0.1:0", "--workers", "1", "--stop-timeout", stopTimeout.String()}, helper: "extend-forever"})
	said := regexp.MustCompile(`e2e-helper: notify socket (\S+) `)
	socket := said.FindStringSubmatch(p.waitSeen(said.String(), bound).text)[1]
	p.waitReady()
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	kill, _ := p.waitLog(`WRN worker still running after stop timeout, sending SIGKILL `, bound)
	if waited := kill.at.Sub(sent); waited < 2*stopTimeout {
		t.Errorf("SIGKILL %v after SIGTERM, before the hard cap of %v: the extension was not honoured", waited, 2*stopTimeout)
	}
	p.waitLog(`INF worker exited .*\bstatus="killed by signal 9 `, bound)
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d, want 0", code)
	}
	if _, err := os.Stat(filepath.Dir(socket)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("runtime directory %s after poold exited: %v, want it removed", filepath.Dir(socket), err)
	}
}
