package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/poold/poold/worker"
)

// helperEnv selects the behaviour of this test binary when poold runs it as
// a worker, like the helperCommands of os/exec's tests. poold keeps every
// POOLD_* variable from its workers, so the name has another prefix; for
// the same reason a helper gets $POOLD_TEST_TIMEOUT_FACTOR as
// helperFactorEnv.
const (
	helperEnv       = "GO_E2E_HELPER"
	helperFactorEnv = "GO_E2E_TIMEOUT_FACTOR"
)

// helpers are the worker behaviours, by name.
var helpers = map[string]func() int{
	// serve answers on the inherited socket and says READY=1 with go-systemd.
	"serve": func() int { return serve(serveOptions{}) },
	// notify-serve says READY=1 by running the real systemd-notify.
	"notify-serve": func() int { return serve(serveOptions{systemdNotify: true}) },
	// ignore-term serves but ignores SIGTERM: only SIGKILL ends it.
	"ignore-term": func() int { return serve(serveOptions{ignoreTerm: true}) },
	// orphan-serve leaves an orphan behind, then serves.
	"orphan-serve": func() int { return serve(serveOptions{orphan: true}) },
	// drain-serve serves with poold's worker package: on SIGTERM it
	// answers every request it has accepted before it exits.
	"drain-serve": func() int { return serve(serveOptions{drain: true}) },
	// exit3 fails at once.
	"exit3": func() int { return 3 },
	// serve-unless-broken exits 3 at once while the file named by
	// $GO_E2E_MODE_FILE says "broken", and is drain-serve otherwise.
	"serve-unless-broken": serveUnlessBroken,
	// health-serve is drain-serve with the behaviours of healthBehaviour.
	"health-serve": func() int { return serve(serveOptions{drain: true, health: true}) },
	// worker-serve serves with poold's worker package (goworker_test.go).
	"worker-serve": workerServe,
	// serve-slot0 is serve in slot 0 and exits 3 at once in any other.
	"serve-slot0": func() int {
		if os.Getenv("POOLD_SLOT") != "0" {
			return 3
		}
		return serve(serveOptions{})
	},
	// serve-slot0-else-hang is serve in slot 0; in any other it never gets
	// ready and waits for SIGTERM.
	"serve-slot0-else-hang": func() int {
		if os.Getenv("POOLD_SLOT") != "0" {
			term := make(chan os.Signal, 1)
			signal.Notify(term, syscall.SIGTERM)
			<-term
			return 0
		}
		return serve(serveOptions{})
	},
	// plain-serve serves with net/http and dies at SIGTERM.
	"plain-serve": plainServe,
}

// modeFileEnv names the file serve-unless-broken reads when it starts.
const modeFileEnv = "GO_E2E_MODE_FILE"

// modeFile makes the file of modeFileEnv, saying "ok", and returns the
// environment entry for poold's spec and a setter for the worker's mode.
func modeFile(t *testing.T) (env string, set func(mode string)) {
	path := filepath.Join(t.TempDir(), "mode")
	set = func(mode string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(mode), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set("ok")
	return modeFileEnv + "=" + path, set
}

func runHelper(name string) int {
	h, ok := helpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "e2e-helper: unknown helper %q\n", name)
		return 2
	}
	return h()
}

// answer is what a worker tells about itself on GET /: the helpers, the
// Python worker and the Express example share the field names.
type answer struct {
	PID          int    `json:"pid"`
	Slot         string `json:"slot"`
	Generation   string `json:"generation"` // $POOLD_GENERATION; the helpers' only
	ListenPID    string `json:"listen_pid"`
	NotifySocket string `json:"notify_socket"`
	// AppVersion is $APP_VERSION and Args the worker's arguments: what a
	// reload to a new spec changes (the helpers' only).
	AppVersion string   `json:"app_version"`
	Args       []string `json:"args"`
}

type serveOptions struct {
	systemdNotify bool
	ignoreTerm    bool
	orphan        bool
	// drain serves with poold's worker package, which drains on SIGTERM
	// without failing a request, instead of http.Server.Shutdown.
	drain  bool
	health bool
}

// serve takes the inherited socket with go-systemd's activation package,
// which hands it over only if LISTEN_PID is this process's, and serves until
// SIGTERM, finishing in-flight requests first.
func serve(o serveOptions) int {
	me := answer{
		PID: os.Getpid(), Slot: os.Getenv("POOLD_SLOT"), Generation: os.Getenv("POOLD_GENERATION"),
		ListenPID: os.Getenv("LISTEN_PID"), NotifySocket: os.Getenv("NOTIFY_SOCKET"),
		AppVersion: os.Getenv("APP_VERSION"), Args: os.Args[1:],
	}
	ls, err := activation.Listeners() // unsets LISTEN_*
	if err != nil || len(ls) == 0 || ls[0] == nil {
		return helperFailed("no inherited listener (LISTEN_PID=%q, pid %d): %v", me.ListenPID, me.PID, err)
	}
	if o.ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	}
	if o.orphan {
		if err := leaveOrphan(); err != nil {
			return helperFailed("leave an orphan: %v", err)
		}
	}
	if o.health { // before READY=1: the watchdog is armed from the start
		startHealthBehaviour()
		os.Unsetenv("WATCHDOG_USEC") // its heartbeats, which SIGUSR1 stops, not the worker package's
	}
	if err := sayReady(o.systemdNotify); err != nil {
		return helperFailed("ready: %v", err)
	}
	srv := &http.Server{Handler: handler(me)}
	if o.drain {
		if err := worker.ServeListeners(context.Background(), srv, ls[0]); err != nil {
			return helperFailed("serve: %v", err)
		}
		return 0
	}
	drained := make(chan struct{})
	if !o.ignoreTerm {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		go func() {
			defer close(drained)
			<-term
			srv.Shutdown(context.Background()) // waits for in-flight requests
		}()
	}
	if err := srv.Serve(ls[0]); err != http.ErrServerClosed {
		return helperFailed("serve: %v", err)
	}
	<-drained
	return 0
}

func serveUnlessBroken() int {
	mode, err := os.ReadFile(os.Getenv(modeFileEnv))
	if err != nil {
		return helperFailed("read $%s: %v", modeFileEnv, err)
	}
	if strings.TrimSpace(string(mode)) == "broken" {
		fmt.Fprintf(os.Stderr, "e2e-helper: broken, exiting 3 pid=%d\n", os.Getpid())
		return 3
	}
	return serve(serveOptions{drain: true})
}

func sayReady(withSystemdNotify bool) error {
	if withSystemdNotify {
		out, err := exec.Command("systemd-notify", "--ready", "--status=helper serving").CombinedOutput()
		if err != nil {
			return fmt.Errorf("systemd-notify: %v: %s", err, out)
		}
		return nil
	}
	ok, err := daemon.SdNotify(false, "READY=1\nSTATUS=helper serving")
	if !ok && err == nil {
		err = fmt.Errorf("NOTIFY_SOCKET unset")
	}
	return err
}

func handler(me answer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(me)
	})
	// /slow?ms=N answers after N ms; it logs its start on stderr (poold's),
	// so that a test knows the request is in flight.
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil {
			http.Error(w, "ms: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(os.Stderr, "e2e-helper: slow request started pid=%d\n", me.PID)
		<-time.After(time.Duration(ms) * time.Millisecond)
		json.NewEncoder(w).Encode(me)
	})
	return mux
}

// leaveOrphan makes a grandchild that outlives its parent, so that it is
// re-parented to PID 1, and lets it exit afterwards: its zombie is PID 1's to
// reap. The grandchild is cat reading a pipe whose write end only this
// process holds; closing it, once the parent shell is reaped, ends cat.
func leaveOrphan() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer w.Close()
	sh := exec.Command("/bin/sh", "-c", `cat <&3 >/dev/null 2>&1 & echo $!`)
	sh.ExtraFiles = []*os.File{r}
	out, err := sh.Output() // returns once sh has exited and been reaped
	r.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "e2e-helper: orphan pid=%s\n", strings.TrimSpace(string(out)))
	return nil
}

func helperFailed(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "e2e-helper: "+format+"\n", args...)
	return 1
}
