package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// A pool whose workers never get ready is crash-looping, not starting for
// ever: poolctl status says so in its header and for each slot, with how
// the last worker ended and its last stderr lines, as --json does; the log
// says it once per slot.
func TestNeverReadyPoolIsCrashLooping(t *testing.T) {
	t.Parallel()
	readyTimeout := testbound.Scale(2 * time.Second)
	for _, tt := range []struct {
		name     string
		args     []string
		script   string
		lastExit string
		output   []string
	}{
		{name: "exits", script: `echo "Error: Cannot find module 'express'" >&2; echo >&2; echo "Node.js v20" >&2; exit 1`,
			lastExit: "exit code 1 before it was ready", output: []string{"Error: Cannot find module 'express'", "Node.js v20"}},
		// Long enough for sh to write its line under load.
		{name: "ready-timeout", args: []string{"--ready", "notify", "--ready-timeout", readyTimeout.String()}, script: `echo "waiting for a database" >&2; exec sleep 600`,
			lastExit: "not ready after " + readyTimeout.String(), output: []string{"waiting for a database"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := uniqueName(t)
			p := start(t, spec{
				args:    append([]string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2", "--restart-delay", "50ms", "--restart-delay-max", "200ms"}, tt.args...),
				command: []string{"sh", "-c", tt.script},
			})
			for slot := range 2 {
				p.waitSeen(`ERR slot is crash-looping; .*\bslot=`+itoa(slot)+` failures=2 last_exit="`+regexp.QuoteMeta(tt.lastExit)+`".* never_ready=true last_output="\[`+regexp.QuoteMeta(tt.output[0]), bound)
			}
			p.waitLog(`WRN worker exited unexpectedly .*\bslot=0 .*\bfailures=3\b`, bound)
			if n := len(p.linesWith("slot is crash-looping")); n != 2 {
				t.Errorf("%d crash-loop reports, want one per slot", n)
			}

			text := mustPoolctl(t, nil, "status", name)
			for _, want := range []string{"      State: crash-looping, 0/2 workers ready", "     Slot 0: crash-looping, ", "     Slot 1: crash-looping, ",
				"             " + tt.lastExit + "\n", "             > " + tt.output[len(tt.output)-1] + "\n"} {
				if !strings.Contains(text, want) {
					t.Errorf("poolctl status lacks %q:\n%s", want, text)
				}
			}
			var st []struct {
				Pool struct {
					State        string `json:"state"`
					FailingSlots []struct {
						Slot         int      `json:"slot"`
						CrashLooping bool     `json:"crash_looping"`
						Failures     int      `json:"failures"`
						LastExit     string   `json:"last_exit"`
						LastOutput   []string `json:"last_output"`
					} `json:"failing_slots"`
				} `json:"pool"`
			}
			out := mustPoolctl(t, nil, "status", "--json", name)
			if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 1 {
				t.Fatalf("status --json: %v in %s", err, out)
			}
			pool := st[0].Pool
			if pool.State != "crash-looping" || len(pool.FailingSlots) != 2 {
				t.Fatalf("status --json: %s", out)
			}
			for i, s := range pool.FailingSlots {
				if s.Slot != i || !s.CrashLooping || s.Failures < 2 || s.LastExit != tt.lastExit || !slices.Equal(s.LastOutput, tt.output) {
					t.Errorf("failing slot %d: %+v, want crash-looping, %q, output %q", i, s, tt.lastExit, tt.output)
				}
			}
		})
	}
}
