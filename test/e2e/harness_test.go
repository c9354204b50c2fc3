package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// bound is how long a test waits for an event before it fails. Events
// normally come within milliseconds; the bound only ends a stuck test. It
// grows with $POOLD_TEST_TIMEOUT_FACTOR (see package testbound).
var bound = testbound.Scale(20 * time.Second)

// spec says how to run poold.
type spec struct {
	args    []string // poold's flags, before "--"; --name of its own unless given (withName)
	helper  string   // the worker: this test binary as the named helper...
	command []string // ...or this command
	env     []string // added to the test's environment
	dir     string
	// wrap is a command that execs poold in its own process (the same PID),
	// e.g. systemd-socket-activate ... --
	wrap []string
	// files are passed to poold as fds 3.., as systemd passes sockets.
	files []*os.File
	// pidNamespace runs poold as PID 1 of a new PID namespace, with a /proc
	// of its own. The worker PIDs it logs are then that namespace's.
	pidNamespace bool
	// stdoutApart gives poold's stdout a pipe of its own. poold's stdout
	// and stderr otherwise share one, so that the log keeps the order of
	// their lines; but the kernel keeps a write to a pipe whole only up to
	// PIPE_BUF (4096) bytes: a longer one goes in as the reader makes room,
	// and a line written to the other stream meanwhile lands inside it.
	stdoutApart bool
	// bin is the poold binary to run, pooldBin when "".
	bin string
}

// pool is one running poold.
type pool struct {
	t      *testing.T
	cmd    *exec.Cmd
	logs   *logStream
	out    []*os.File    // the read ends of poold's stdout and stderr
	next   int           // index of the first log line waitLog has not passed
	exited chan struct{} // closed once poold has exited; then cmd.ProcessState is set
}

// start runs poold as s says, with its stdout and stderr read into a
// logStream, and stops it in t.Cleanup.
func start(t *testing.T, s spec) *pool {
	t.Helper()
	bin := s.bin
	if bin == "" {
		bin = pooldBin
	}
	argv := append(append(append([]string{}, s.wrap...), bin), withName(s.args)...)
	argv = append(argv, "--")
	env := protocolFree(os.Environ())
	if s.helper != "" {
		argv = append(argv, self)
		env = append(env, helperEnv+"="+s.helper, helperFactorEnv+"="+os.Getenv(testbound.Env))
	} else {
		argv = append(argv, s.command...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if s.pidNamespace {
		cmd = exec.Command("unshare", append([]string{"--mount", "--mount-proc", "--"}, argv...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	}
	cmd.Env, cmd.Dir, cmd.ExtraFiles = append(env, s.env...), s.dir, s.files
	rs, ws := outputPipes(t, cmd, s.stdoutApart)
	p := &pool{t: t, cmd: cmd, logs: newLogStream(!s.pidNamespace), out: rs, exited: make(chan struct{})}
	err := cmd.Start()
	closeAll(ws)
	if err != nil {
		closeAll(rs)
		t.Fatalf("start %v: %v", argv, err)
	}
	read := make(chan struct{})
	go func() { defer close(read); p.logs.read(rs...) }()
	go func() { defer close(p.exited); cmd.Wait() }()
	t.Cleanup(func() {
		p.stop()
		p.checkNoWorkerSurvived()
		select { // the output ends once every process holding it is gone
		case <-read:
		case <-time.After(bound):
			t.Error("poold's output still open: some process it started holds it")
		}
		closeAll(rs)
		p.checkNoDataRace()
		if t.Failed() {
			p.dumpLogs()
		}
	})
	return p
}

// poolSeq numbers the pools that withName names.
var poolSeq atomic.Int64

// withName gives a pool started without --name a name of its own: two
// pools of one name refuse to run side by side, and the tests of other
// packages and other checkouts may run pools on this host meanwhile.
func withName(args []string) []string {
	for _, a := range args {
		if a == "--name" || strings.HasPrefix(a, "--name=") {
			return args
		}
	}
	name := fmt.Sprintf("e2e-%d-%d", os.Getpid(), poolSeq.Add(1))
	return append([]string{"--name", name}, args...)
}

// outputPipes makes the pipes for cmd's stdout and stderr, one for both
// or, apart, one each, and returns their read and write ends.
func outputPipes(t *testing.T, cmd *exec.Cmd, apart bool) (rs, ws []*os.File) {
	t.Helper()
	n := 1
	if apart {
		n = 2
	}
	for range n {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(append(rs, ws...))
			t.Fatal(err)
		}
		rs, ws = append(rs, r), append(ws, w)
	}
	cmd.Stdout, cmd.Stderr = ws[n-1], ws[0]
	return rs, ws
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// protocolFree drops systemd's protocol variables and the bus addresses, in
// case the tests run under systemd or in a desktop session: a test gives
// poold its own, and without them every pool gets a private bus.
func protocolFree(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		key, _, _ := strings.Cut(kv, "=")
		switch key {
		case "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "INVOCATION_ID",
			"DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "MANAGERPID":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// waitLog waits for a line matching pattern after the last line matched so
// far, and returns it with the pattern's submatches.
func (p *pool) waitLog(pattern string, within time.Duration) (logLine, []string) {
	p.t.Helper()
	re := regexp.MustCompile(pattern)
	i, l := p.find(p.next, re, pattern, within)
	p.next = i + 1
	return l, re.FindStringSubmatch(l.text)
}

// find waits for the first line at or after index start that matches re,
// and returns its index and the line.
func (p *pool) find(start int, re *regexp.Regexp, pattern string, within time.Duration) (int, logLine) {
	p.t.Helper()
	deadline := time.After(within)
	for i := start; ; {
		lines, ended, more := p.logs.from(i)
		for j, l := range lines {
			if re.MatchString(l.text) {
				return i + j, l
			}
		}
		i += len(lines)
		if ended {
			p.t.Fatalf("poold's output ended with no line matching %q", pattern)
		}
		select {
		case <-more:
		case <-deadline:
			p.t.Fatalf("no log line matching %q within %v", pattern, within)
		}
	}
}

// sawLog reports whether any line so far, passed by waitLog or not, matches
// pattern.
func (p *pool) sawLog(pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, l := range p.logs.all() {
		if re.MatchString(l.text) {
			return true
		}
	}
	return false
}

// linesWith are the lines of poold's output so far that hold s.
func (p *pool) linesWith(s string) []string {
	var lines []string
	for _, l := range p.logs.all() {
		if strings.Contains(l.text, s) {
			lines = append(lines, l.text)
		}
	}
	return lines
}

// waitSeen waits for a line matching pattern anywhere in the output, passed
// by waitLog or not, and leaves waitLog's place where it is: for events
// whose order among the others does not matter.
func (p *pool) waitSeen(pattern string, within time.Duration) logLine {
	p.t.Helper()
	_, l := p.find(0, regexp.MustCompile(pattern), pattern, within)
	return l
}

// passed returns the lines up to the last one waitLog matched.
func (p *pool) passed() []logLine {
	return p.logs.all()[:p.next]
}

// addr returns the address poold bound for --listen 127.0.0.1:0.
func (p *pool) addr() string {
	p.t.Helper()
	_, m := p.waitLog(`INF sockets bound .*\baddr=(\S+)`, bound)
	return m[1]
}

// waitReloaded waits for the reload to generation gen to replace n
// workers: each new worker's start and readiness within bound, as each can
// take seconds (a Node.js app on a busy machine) and a reload starts them
// one after another; then "reload complete".
func (p *pool) waitReloaded(gen, n int) {
	p.t.Helper()
	for range n {
		_, m := p.waitLog(`INF worker started .*\bpid=(\d+)\b.*\bgeneration=`+itoa(gen)+`\b`, bound)
		p.waitSeen(`INF worker ready .*\bpid=`+m[1]+`\b`, bound)
	}
	p.waitLog(`INF reload complete .*\bgeneration=`+itoa(gen)+` replaced=`+itoa(n)+`\b`, bound)
}

// waitReady waits for poold's "pool ready" line.
func (p *pool) waitReady() {
	p.t.Helper()
	p.waitLog(`INF pool ready `, bound)
}

func (p *pool) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal poold: %v", err)
	}
}

// wait waits for poold to exit and returns its exit code (-1 if killed).
func (p *pool) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		p.t.Fatalf("poold still running after %v", within)
		return 0
	}
}

// running reports whether poold has not exited yet.
func (p *pool) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop ends poold: SIGTERM, and SIGKILL if it has not exited within bound.
func (p *pool) stop() {
	if !p.running() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(bound):
	}
	p.t.Errorf("poold did not exit within %v of SIGTERM; killing it", bound)
	p.cmd.Process.Kill()
	<-p.exited
}

// checkNoWorkerSurvived fails the test if a worker poold started outlived
// poold, and kills it.
func (p *pool) checkNoWorkerSurvived() {
	live := p.logs.liveWorkers()
	if len(live) > 0 {
		p.t.Errorf("workers %v still running after poold exited", live)
	}
	p.logs.killWorkers(live)
}

func (p *pool) checkNoDataRace() {
	for _, l := range p.logs.all() {
		if strings.Contains(l.text, "WARNING: DATA RACE") {
			p.t.Error("the race detector found a data race in poold (or a worker)")
			return
		}
	}
}

func (p *pool) dumpLogs() {
	var b strings.Builder
	for _, l := range p.logs.all() {
		b.WriteString("\n\t" + l.text)
	}
	status := "still running"
	if p.cmd.ProcessState != nil {
		status = p.cmd.ProcessState.String()
	}
	p.t.Logf("poold (%s) output:%s", status, b.String())
}
