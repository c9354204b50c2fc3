package e2e

import (
	"encoding/json"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/coreos/go-systemd/v22/daemon"
)

// trickyStatus would reverse the rest of a terminal line, colour it red,
// ring the bell and break a table, were poolctl to print it as it is (a
// notify line cannot hold a newline).
const (
	trickyStatus  = "serving\u202e\x1b[31m\a\tred"
	escapedStatus = `serving\u202e\x1b[31m\a\tred`
)

func init() {
	// tricky-status says READY=1 with trickyStatus as its STATUS= and waits
	// for SIGTERM.
	helpers["tricky-status"] = func() int {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		if ok, err := daemon.SdNotify(false, "READY=1\nSTATUS="+trickyStatus); !ok {
			return helperFailed("notify: %v", err)
		}
		<-term
		return 0
	}
}

// A worker's STATUS= reaches poolctl status and top escaped, as systemctl
// prints it, and --json as it is.
func TestWorkerStatusTextIsEscaped(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	p := start(t, spec{
		args:   []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1", "--ready", "notify"},
		helper: "tricky-status",
	})
	p.waitReady()
	status := mustPoolctl(t, nil, "status", name)
	top := mustPoolctl(t, nil, "top", name, "--iterations", "1")
	for cmd, out := range map[string]string{"status": status, "top": top} {
		if strings.ContainsAny(out, "\u202e\x1b\a\t") || !strings.Contains(out, escapedStatus) {
			t.Errorf("poolctl %s printed the status text unescaped, or not at all:\n%q", cmd, out)
		}
	}
	var all []struct {
		Workers []struct {
			StatusText string `json:"status_text"`
		} `json:"workers"`
	}
	out := mustPoolctl(t, nil, "status", "--json", name)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 || len(all[0].Workers) != 1 {
		t.Fatalf("poolctl status --json: %v in %s", err, out)
	}
	if got := all[0].Workers[0].StatusText; got != trickyStatus {
		t.Errorf("--json status_text %q, want %q", got, trickyStatus)
	}
}
