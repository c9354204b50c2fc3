package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// poolctl top shows a real pool's workers live in a terminal, follows a
// restart and a scale-up as they happen, and on q leaves the terminal as it
// found it: back on the normal screen, cursor shown, modes restored.
func TestTopInTerminal(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	p.waitReady()
	pids := statusOf(t, nil, name).workerPIDs()
	term := startTerminal(t, nil, poolctlBin, "top", name)
	term.waitScreen("both workers ready", func(s string) bool {
		return hasWorker(s, 0, pids[0], "ready") && hasWorker(s, 1, pids[1], "ready") &&
			strings.Contains(s, name+"  running, 2/2 workers ready, generation ")
	})
	if alt, _ := term.modes(); alt != "1" {
		t.Errorf("top is not on the alternate screen (alternate_on=%s)", alt)
	}

	mustPoolctl(t, nil, "restart", name, "1")
	replacement := statusOf(t, nil, name).workerPIDs()[1]
	term.waitScreen(fmt.Sprintf("slot 1's new worker %d in place of %d", replacement, pids[1]), func(s string) bool {
		return hasWorker(s, 1, replacement, "ready") && !hasWorker(s, 1, pids[1], `\S+`)
	})
	mustPoolctl(t, nil, "scale", name, "3")
	p.waitSeen(`INF worker ready .*\bslot=2 `, bound)
	third := statusOf(t, nil, name).workerPIDs()[2]
	term.waitScreen(fmt.Sprintf("slot 2's worker %d", third), func(s string) bool {
		return hasWorker(s, 2, third, "ready") && strings.Contains(s, "3/3 workers ready")
	})

	term.keys("q")
	code, restored := term.waitExit()
	if code != 0 || !restored {
		t.Errorf("after q: exit %d, terminal modes restored: %v; want 0, true", code, restored)
	}
	term.checkNormalScreen()
}

// When the pool goes away, top says so on the normal screen and exits 1.
func TestTopPoolGoesAway(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1"}, helper: "serve"})
	p.waitReady()
	pid := statusOf(t, nil, name).workerPIDs()[0]
	term := startTerminal(t, nil, poolctlBin, "top", name)
	term.waitScreen("the worker", func(s string) bool { return hasWorker(s, 0, pid, "ready") })
	p.signal(syscall.SIGTERM)
	if code := p.wait(bound); code != 0 {
		t.Fatalf("poold exited %d on SIGTERM", code)
	}
	code, restored := term.waitExit()
	if code != 1 || !restored {
		t.Errorf("exit %d, terminal modes restored: %v; want 1, true", code, restored)
	}
	s := term.checkNormalScreen()
	if !strings.Contains(s, "poolctl: "+name+": the pool went away") {
		t.Errorf("top did not say why it ended:\n%s", s)
	}
}

// poolctl -H HOST top runs the live view on the remote host through ssh -t,
// and prints one frame when its output is not a terminal.
func TestTopOverSSH(t *testing.T) {
	t.Parallel()
	sshd := needSSHD(t)
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	p.waitReady()
	pids := statusOf(t, nil, name).workerPIDs()
	env := []string{"POOLCTL_SSH=" + startSSHD(t, sshd)}

	r := poolctl(t, "", env, "-H", "root@127.0.0.1", "top", name)
	if r.code != 0 || !hasWorker(r.stdout, 0, pids[0], "ready") || !hasWorker(r.stdout, 1, pids[1], "ready") || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("one frame over ssh: %v", r)
	}

	term := startTerminal(t, env, poolctlBin, "-H", "root@127.0.0.1", "top", name)
	term.waitScreen("both workers ready, from the remote poolctl", func(s string) bool {
		return hasWorker(s, 0, pids[0], "ready") && hasWorker(s, 1, pids[1], "ready") && strings.Contains(s, "q quits")
	})
	term.keys("q")
	code, restored := term.waitExit()
	if code != 0 || !restored {
		t.Errorf("after q: exit %d, terminal modes restored: %v; want 0, true", code, restored)
	}
	term.checkNormalScreen()
}

// hasWorker says whether a screen has a worker row with slot, PID and state
// (a regular expression).
func hasWorker(screen string, slot, pid int, state string) bool {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^\s*%d\s+%d\s+%s\s`, slot, pid, state)).MatchString(screen)
}

// terminal is a 120×30 terminal: a tmux server of the test's own, with one
// window that runs a command from a shell script.
type terminal struct {
	t      *testing.T
	socket string
}

const (
	beforeMark = "e2e: before the command"
	exitMark   = "e2e: exited"
)

// startTerminal runs argv, with env added to the test's environment, in a
// new terminal. The script around it prints beforeMark, then, once argv has
// exited, exitMark with its exit code and whether it left the terminal's
// modes (stty -g) as they were; then it waits, so that the screen stays.
func startTerminal(t *testing.T, env []string, argv ...string) *terminal {
	t.Helper()
	_, err := exec.LookPath("tmux")
	needTool(t, err == nil, "tmux", "apt-get install tmux (scripts/deps.sh installs it)")
	term := &terminal{t: t, socket: filepath.Join(t.TempDir(), "tmux")}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shQuote(a)
	}
	script := `echo '` + beforeMark + `'; modes=$(stty -g); ` + strings.Join(quoted, " ") + `; code=$?; ` +
		`[ "$(stty -g)" = "$modes" ] && same=yes || same=no; ` +
		`echo "` + exitMark + ` code=$code modes-restored=$same"; exec sleep 3600`
	cmd := exec.Command("tmux", "-S", term.socket, "-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", "sh", "-c", script)
	cmd.Env = append(append(protocolFree(os.Environ()), "TERM=xterm-256color"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", term.socket, "kill-server").Run() })
	return term
}

func (term *terminal) tmux(args ...string) string {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", term.socket}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is what the terminal shows now.
func (term *terminal) screen() string {
	term.t.Helper()
	return term.tmux("capture-pane", "-p", "-t", "e2e")
}

// modes says whether the terminal is on its alternate screen and whether its
// cursor is shown ("1" or "0" each).
func (term *terminal) modes() (alternate, cursor string) {
	term.t.Helper()
	alternate, cursor, _ = strings.Cut(strings.TrimSpace(term.tmux("display-message", "-p", "-t", "e2e", "#{alternate_on} #{cursor_flag}")), " ")
	return alternate, cursor
}

// waitScreen polls the screen until ok, for up to bound.
func (term *terminal) waitScreen(what string, ok func(string) bool) string {
	term.t.Helper()
	deadline := time.Now().Add(bound)
	for {
		s := term.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the terminal did not show %s within %v; it shows:\n%s", what, bound, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (term *terminal) keys(keys string) {
	term.t.Helper()
	term.tmux("send-keys", "-t", "e2e", "-l", keys)
}

var exitLine = regexp.MustCompile(exitMark + ` code=(\d+) modes-restored=(\w+)`)

// waitExit waits for the command to exit and returns its exit code and
// whether it restored the terminal's modes.
func (term *terminal) waitExit() (code int, restored bool) {
	term.t.Helper()
	s := term.waitScreen("the command's exit", exitLine.MatchString)
	m := exitLine.FindStringSubmatch(s)
	return atoi(term.t, m[1]), m[2] == "yes"
}

// checkNormalScreen checks that the terminal is back on its normal screen,
// which shows what was there before the command, with the cursor shown;
// and returns that screen.
func (term *terminal) checkNormalScreen() string {
	term.t.Helper()
	if alt, cursor := term.modes(); alt != "0" || cursor != "1" {
		term.t.Errorf("after the command: alternate_on=%s cursor_flag=%s; want 0 and 1", alt, cursor)
	}
	s := term.screen()
	if !strings.Contains(s, beforeMark) || strings.Contains(s, "SLOT") {
		term.t.Errorf("the normal screen is not as top found it:\n%s", s)
	}
	return s
}

// shQuote quotes s for sh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
