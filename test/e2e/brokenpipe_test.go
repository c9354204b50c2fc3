package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sigPIPE is SIGPIPE's bit in /proc/PID/status's SigIgn mask.
const sigPIPE = 1 << (syscall.SIGPIPE - 1)

// poold's output is a pipe whose reader goes away (poold ... | less, and
// less quits): poold must not die of SIGPIPE at its next log line, with its
// workers orphaned. It goes on serving and answering poolctl, drains on
// SIGTERM and exits 0; and the workers it starts after that do not inherit
// an ignored SIGPIPE.
func TestPooldOutlivesTheReaderOfItsOutput(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	dir := t.TempDir()
	// Each worker writes its SigIgn mask to DIR/PID, then becomes the
	// serve helper (same PID: LISTEN_PID stays right).
	script := `grep SigIgn /proc/$$/status > "$1/$$" && exec "$0"`
	p := start(t, spec{
		args:    []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1"},
		command: []string{"/bin/sh", "-c", script, self, dir},
		env:     []string{helperEnv + "=serve"},
	})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	t.Cleanup(func() { killListed(dir) }) // workers poold left, if it died

	closeAll(p.out) // no reader left: poold's next write gets EPIPE
	mustPoolctl(t, nil, "scale", name, "2")
	waitReadyWorkers(t, name, 2)
	workers := answersFrom(t, url, 2)
	for pid := range workers {
		mask := sigIgn(t, filepath.Join(dir, strconv.Itoa(pid)))
		if mask&sigPIPE != 0 {
			t.Errorf("worker %d started with SIGPIPE ignored (SigIgn %#x): poold passed on its own disposition", pid, mask)
		}
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited with %d (%v) after SIGTERM, want 0", code, p.cmd.ProcessState)
	}
}

// waitReadyWorkers polls poolctl status until pool name has n ready workers.
func waitReadyWorkers(t *testing.T, name string, n int) {
	t.Helper()
	for deadline := time.Now().Add(bound); ; {
		st := statusOf(t, nil, name)
		if st.Pool.ReadyWorkers == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d workers ready after %v: %+v", st.Pool.ReadyWorkers, n, bound, st.Workers)
		}
		time.Sleep(50 * time.Millisecond) // polling poolctl, not synchronisation
	}
}

// sigIgn reads a SigIgn line of /proc/PID/status saved in file.
func sigIgn(t *testing.T, file string) uint64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	hex, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "SigIgn:")
	mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
	if !ok || err != nil {
		t.Fatalf("%s: %q is no SigIgn line", file, b)
	}
	return mask
}

// killListed SIGKILLs the process groups of the workers named by the files
// in dir.
func killListed(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}
