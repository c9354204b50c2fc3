package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/testbound"
)

func TestTopFrames(t *testing.T) {
	addr := startBus(t)
	serveFakePool(t, addr, "express", 2)
	getenv := env("DBUS_SESSION_BUS_ADDRESS", addr)

	r := poolctl(t, getenv, "top", "express")
	want := "● express  running, 2/2 workers ready, generation 1\n" +
		"  session bus · 12:00:00\n" +
		"\n" +
		"SLOT   PID  STATE  GEN  UPTIME  RESTARTS  HEARTBEAT  MEM  CPU%  LOOP P99  HEAP  REQS  REQ/S  STATUS\n" +
		"   0  1001  ready    1      0s         0          -    -     -         -     -     -      -  -\n" +
		"   1  1002  ready    1      0s         0          -    -     -         -     -     -      -  -\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("one frame: code %d, stderr %q, stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	r = poolctl(t, getenv, "top", "express", "--iterations", "3", "--interval", "100ms")
	frames := strings.Split(r.stdout, "\n\n●")
	if r.code != 0 || len(frames) != 3 || !strings.Contains(r.stdout, "12:00:00, every 100ms\n") || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("3 frames: code %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}
}

func TestTopUsage(t *testing.T) {
	for _, args := range [][]string{
		{"top"},
		{"top", "a", "b"},
		{"top", "express", "--interval", "10ms"},
		{"top", "express", "--iterations", "-1"},
		{"top", "express", "--interval", "soon"},
	} {
		r := poolctl(t, env(), args...)
		if r.code != exitUsage || r.dials != 0 || !strings.Contains(r.stderr, "see 'poolctl top --help'") {
			t.Errorf("poolctl %q: code %d, dials %d, stderr %q; want a usage error", args, r.code, r.dials, r.stderr)
		}
	}
}

func TestTopNoSuchPool(t *testing.T) {
	addr := startBus(t)
	r := poolctl(t, env("DBUS_SESSION_BUS_ADDRESS", addr), "top", "nosuch")
	if r.code != exitFailure || !strings.HasPrefix(r.stderr, `poolctl: no pool named "nosuch"`) {
		t.Errorf("code %d, stderr %q", r.code, r.stderr)
	}
}

func TestSSHTerminal(t *testing.T) {
	_, tty := openPTY(t)
	notTTY := stdio{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}}
	for _, tt := range []struct {
		args []string
		io   stdio
		want string
	}{
		{[]string{"top", "express"}, stdio{stdin: tty, stdout: tty}, "-xt"},
		{[]string{"--verbose", "--timeout", "5s", "top", "express"}, stdio{stdin: tty, stdout: tty}, "-xt"},
		{[]string{"--timeout", "top", "status", "top"}, stdio{stdin: tty, stdout: tty}, "-xT"},
		{[]string{"status", "top"}, stdio{stdin: tty, stdout: tty}, "-xT"},
		{[]string{"top", "express"}, stdio{stdin: tty, stdout: notTTY.stdout}, "-xT"},
		{[]string{"top", "express"}, notTTY, "-xT"},
	} {
		if got := sshTerminal(tt.args, tt.io); got != tt.want {
			t.Errorf("sshTerminal(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}

// TestTopLive runs the full-screen view on a pseudo-terminal: it shows the
// workers, follows a restart, redraws at a new window size, and restores the
// terminal when q is pressed or the pool goes away.
func TestTopLive(t *testing.T) {
	addr := startBus(t)
	pool := serveFakePool(t, addr, "express", 2)
	getenv := env("DBUS_SESSION_BUS_ADDRESS", addr)

	t.Run("q quits", func(t *testing.T) {
		term := startTop(t, getenv, "express")
		term.waitFrame(t, "both workers", func(f []string) bool {
			return hasRow(f, 0, 1001, "ready") && hasRow(f, 1, 1002, "ready")
		})
		if err := pool.RestartWorker(1, 0); err != nil {
			t.Fatal(err)
		}
		term.waitFrame(t, "the new worker of slot 1", func(f []string) bool {
			return hasRow(f, 1, 1003, "ready") && !hasRow(f, 1, 1002, "")
		})
		term.resize(t, 50, 10)
		term.waitFrame(t, "a frame 50 columns wide", func(f []string) bool {
			return len(f) > 4 && len(f[3]) == 50 && strings.HasPrefix(f[3], "SLOT   PID  STATE  GEN  UPTIME  RESTARTS  HEARTBEA")
		})
		term.press(t, "x") // not a command: nothing happens
		term.press(t, "q")
		r := term.wait(t)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("after q: code %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("the pool goes away", func(t *testing.T) {
		term := startTop(t, getenv, "express", "--interval", "100ms")
		term.waitFrame(t, "the workers", func(f []string) bool { return hasRow(f, 0, 1001, "ready") })
		if _, err := pool.conn.ReleaseName(dbusapi.BusName("express")); err != nil {
			t.Fatal(err)
		}
		r := term.wait(t)
		if want := "poolctl: express: the pool went away: it is no longer on the session bus\n"; r.code != 1 || r.stderr != want {
			t.Errorf("code %d, stderr %q; want 1, %q", r.code, r.stderr, want)
		}
	})
}

// topTerm is a poolctl top running in-process on a pseudo-terminal.
type topTerm struct {
	master, tty *os.File
	before      *unix.Termios
	mu          sync.Mutex
	out         bytes.Buffer // all poolctl wrote on the terminal
	stderr      bytes.Buffer
	done        chan int // poolctl's exit code
}

func startTop(t *testing.T, getenv func(string) string, args ...string) *topTerm {
	t.Helper()
	master, tty := openPTY(t)
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	term := &topTerm{master: master, tty: tty, before: before, done: make(chan int, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	a := &app{
		stdio:        stdio{stdin: tty, stdout: tty, stderr: &term.stderr},
		getenv:       getenv,
		now:          time.Now,
		dial:         dbusapi.Dial,
		privateBases: func() []string { return []string{"/run/poold"} },
	}
	go func() { term.done <- a.execute(context.Background(), append([]string{"top"}, args...)) }()
	return term
}

// waitFrame waits until the last frame drawn satisfies ok.
func (term *topTerm) waitFrame(t *testing.T, what string, ok func([]string) bool) {
	t.Helper()
	deadline := time.Now().Add(testbound.Scale(10 * time.Second))
	for {
		term.mu.Lock()
		out := term.out.String()
		term.mu.Unlock()
		if f := lastFrame(out); ok(f) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame with %s; last one:\n%s", what, strings.Join(lastFrame(out), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (term *topTerm) press(t *testing.T, keys string) {
	t.Helper()
	if _, err := term.master.WriteString(keys); err != nil {
		t.Fatal(err)
	}
}

// resize changes the window size and sends SIGWINCH, which the kernel sends
// only to the terminal's foreground process group, as it would.
func (term *topTerm) resize(t *testing.T, cols, rows uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(term.tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: rows}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
}

// wait waits for poolctl to exit, checks that it restored the terminal, and
// returns its exit code and stderr.
func (term *topTerm) wait(t *testing.T) result {
	t.Helper()
	var r result
	select {
	case r.code = <-term.done:
	case <-time.After(testbound.Scale(10 * time.Second)):
		t.Fatal("poolctl top still running")
	}
	r.stderr = term.stderr.String()
	after, err := unix.IoctlGetTermios(int(term.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *term.before {
		t.Errorf("terminal modes not restored:\n%+v\nwant\n%+v", *after, *term.before)
	}
	// What was written reaches the master before the writes return.
	deadline := time.Now().Add(testbound.Scale(5 * time.Second))
	for {
		term.mu.Lock()
		out := term.out.String()
		term.mu.Unlock()
		if strings.HasPrefix(out, enterScreen) && strings.HasSuffix(out, leaveScreen) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("output does not begin with the alternate screen and end back on the normal one: %q", out)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return r
}

// lastFrame is the lines of the last complete frame in out, without escape
// codes.
func lastFrame(out string) []string {
	frames := strings.Split(out, cursorHome)
	if len(frames) < 2 {
		return nil
	}
	i := len(frames) - 1
	if !strings.HasSuffix(out, clearBelow) && !strings.HasSuffix(out, leaveScreen) && len(frames) > 2 {
		i-- // the last one may be partly read
	}
	// The terminal's output processing (ONLCR) makes "\r\n" of "\n".
	f := strings.ReplaceAll(frames[i], "\r", "")
	f = strings.TrimSuffix(strings.TrimSuffix(f, leaveScreen), "\n"+clearBelow)
	var lines []string
	for _, l := range strings.Split(f, "\n") {
		lines = append(lines, stripEscapes(strings.ReplaceAll(l, clearLine, "")))
	}
	return lines
}

// hasRow says whether a frame has a worker row with slot, PID and state
// ("" for any).
func hasRow(frame []string, slot, pid int, state string) bool {
	if state == "" {
		state = `\S+`
	}
	re := regexp.MustCompile(fmt.Sprintf(`^\s*%d\s+%d\s+%s\s`, slot, pid, state))
	for _, l := range frame {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// openPTY opens a pseudo-terminal of 120×30 and returns its master side
// and its terminal; the test is skipped where there is none.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: 120, Row: 30}); err != nil {
		t.Fatal(err)
	}
	return master, tty
}
