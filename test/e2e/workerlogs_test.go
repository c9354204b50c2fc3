package e2e

import (
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/coreos/go-systemd/v22/daemon"
)

// longLine is longer than two pieces of journald's LineMax (48 KiB).
const longLine = 100000

func init() {
	// chatty writes a line on stdout, one on stderr and a very long one,
	// says READY=1, and on SIGTERM writes a last line without a newline.
	helpers["chatty"] = func() int {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Println("hello from stdout")
		fmt.Fprintln(os.Stderr, "hello from stderr")
		fmt.Println(strings.Repeat("x", longLine))
		fmt.Println("after the long line")
		daemon.SdNotify(false, daemon.SdNotifyReady)
		<-term
		fmt.Print("partial last line")
		return 0
	}
}

// Outside the journal (poold's output is a pipe here), each line of each
// worker comes out prefixed with its pool, slot and PID, uncoloured; a line
// longer than 48 KiB in pieces; a last line without a newline at exit.
func TestWorkerOutputIsPrefixed(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	// The long line goes to stdout, poold's log to stderr: on a pipe of its
	// own, nothing can land inside the long line's pieces (see stdoutApart).
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "chatty", stdoutApart: true})
	p.waitReady()
	pids := map[string]string{} // slot -> PID
	re := regexp.MustCompile(`INF worker started .*\bslot=(\d+) pid=(\d+)`)
	for _, l := range p.logs.all() {
		if m := re.FindStringSubmatch(l.text); m != nil {
			pids[m[1]] = m[2]
		}
	}
	if len(pids) != 2 {
		t.Fatalf("workers started: %v, want 2", pids)
	}
	for slot, pid := range pids {
		prefix := regexp.QuoteMeta(fmt.Sprintf("[%s %s %s] ", name, slot, pid))
		p.waitSeen(`^`+prefix+`hello from stdout$`, bound)
		p.waitSeen(`^`+prefix+`hello from stderr$`, bound)
		p.waitSeen(`^`+prefix+`after the long line$`, bound)
		var pieces []int
		for _, l := range p.logs.all() {
			if rest, ok := strings.CutPrefix(l.text, fmt.Sprintf("[%s %s %s] x", name, slot, pid)); ok {
				pieces = append(pieces, len(rest)+1)
			}
		}
		if want := []int{49152, 49152, longLine - 2*49152}; fmt.Sprint(pieces) != fmt.Sprint(want) {
			t.Errorf("slot %s: the long line came in pieces of %v bytes, want %v", slot, pieces, want)
		}
	}
	for _, l := range p.logs.all() {
		if strings.Contains(l.text, "\x1b[") {
			t.Errorf("a colour in output that is not a terminal: %q", l.text)
		}
	}

	// poolctl logs says where the lines are: not in the journal.
	r := poolctl(t, "", nil, "logs", name, "1")
	if r.code != 1 || !strings.Contains(r.stderr, "does not send its workers' output to the journal: it is on the stderr of poold (PID "+itoa(p.cmd.Process.Pid)+"), a pipe") {
		t.Errorf("poolctl logs of a pool outside the journal: %v; want exit 1 and where the lines are", r)
	}

	p.signal(syscall.SIGTERM)
	if code := p.wait(bound); code != 0 {
		t.Fatalf("poold exited %d", code)
	}
	for slot, pid := range pids {
		p.waitSeen(`^`+regexp.QuoteMeta(fmt.Sprintf("[%s %s %s] ", name, slot, pid))+`partial last line$`, bound)
	}
}

// --worker-logs inherit: the workers write to poold's stdout and stderr
// themselves, as they are.
func TestWorkerOutputInherited(t *testing.T) {
	t.Parallel()
	p := start(t, spec{args: []string{"--worker-logs", "inherit", "--listen", "127.0.0.1:0", "--workers", "1"}, helper: "chatty"})
	p.waitReady()
	p.waitSeen(`^hello from stdout$`, bound)
	p.waitSeen(`^hello from stderr$`, bound)
	p.waitSeen(`^x{1000}`, bound)
	if p.sawLog(`^\[.* \d+ \d+\] hello`) {
		t.Error("a prefixed line with --worker-logs inherit")
	}
	p.signal(syscall.SIGTERM)
	p.wait(bound)
	p.waitSeen(`partial last line`, bound)
}
