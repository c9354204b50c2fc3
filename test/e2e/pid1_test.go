package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// As PID 1 of a PID namespace (a container's init), poold reaps the orphans
// re-parented to it: a worker leaves a grandchild behind, which exits, and
// no zombie remains in the namespace.
func TestPID1ReapsOrphans(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("unshare")
	needTool(t, err == nil, "unshare", "apt-get install util-linux")
	if os.Geteuid() != 0 {
		t.Skip("a new PID namespace needs root")
	}
	p := start(t, spec{
		args:         []string{"--log-level", "debug", "--listen", "127.0.0.1:0", "--workers", "1"},
		helper:       "orphan-serve",
		pidNamespace: true,
	})
	_, m := p.waitLog(`(?:^|\] )e2e-helper: orphan pid=(\d+)$`, bound) // prefixed by poold
	// The orphan may be reaped, and poold say so, before poold has passed
	// on the worker's line that named it: look for it anywhere.
	p.waitSeen(`DBG reaped orphan pid=`+m[1]+`\b`, bound)
	if zombies := zombiesIn(t, p.cmd.Process.Pid); len(zombies) > 0 {
		t.Errorf("zombies left in poold's PID namespace: %v", zombies)
	}
}

// zombiesIn lists the zombies of the PID namespace whose init is the host
// process pid, through the /proc that namespace mounted.
func zombiesIn(t *testing.T, pid int) []string {
	t.Helper()
	proc := filepath.Join("/proc", strconv.Itoa(pid), "root", "proc")
	stats, err := filepath.Glob(filepath.Join(proc, "[0-9]*", "stat"))
	if err != nil || len(stats) == 0 {
		t.Fatalf("no processes under %s: %v", proc, err)
	}
	var zombies []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // exited meanwhile
		}
		// "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
		s := string(b)
		if rest := s[strings.LastIndexByte(s, ')')+1:]; strings.HasPrefix(strings.TrimSpace(rest), "Z") {
			zombies = append(zombies, strings.TrimSpace(s[:strings.LastIndexByte(s, ')')+1]))
		}
	}
	return zombies
}
