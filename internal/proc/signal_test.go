package proc

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/poold/poold/internal/supervisor"
)

// sigRT is SIGRTMIN+1 as glibc and Python number it. Real-time signals
// queue, one per kill(2), so a signal sent twice is taken twice; SIGTERM
// sent twice may merge into one pending signal and hide the second.
const sigRT = syscall.Signal(35)

// countSignalsPython is a worker, leader of its group, with a member that
// stays in the group. Both block SIGRTMIN+1 and SIGTERM and take them one
// by one with sigwaitinfo(2), so that no delivery is lost to a handler
// that runs late. SIGTERM ends the count (it is taken before the real-time
// signals still pending, hence the drain); each says "ROLE rt=N term=M" as
// its STATUS, the member before the leader exits, and waits until poold
// has read it (as systemd-notify does with BARRIER=1): poold only counts
// datagrams from processes of the worker that still run. With "moved",
// the leader joins another group first.
const countSignalsPython = `
import os, signal, socket, sys
RT = signal.SIGRTMIN + 1
SIGS = {RT, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, SIGS)
def say(msg):  # and wait until poold closed the fd sent with it: it judged the sender alive
    r, w = os.pipe()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(os.environ["NOTIFY_SOCKET"])
    socket.send_fds(s, [msg.encode()], [w])
    os.close(w)
    os.read(r, 1)
def count(role):
    n = {RT: 0, signal.SIGTERM: 0}
    while True:
        signo = signal.sigwaitinfo(SIGS).si_signo
        n[signo] += 1
        if signo == signal.SIGTERM:
            while (info := signal.sigtimedwait(SIGS, 0)) is not None:
                n[info.si_signo] += 1
            say(f"STATUS={role} rt={n[RT]} term={n[signal.SIGTERM]}")
            return
member = os.fork()
if member == 0:
    count("member")
    os._exit(0)
if sys.argv[1] == "moved":
    r, w = os.pipe()
    other = os.fork()
    if other == 0:  # leads the other group until the leader exits
        os.close(w); os.read(r, 1); os._exit(0)
    os.setpgid(other, other)
    os.setpgid(0, other)
say("READY=1")
count("leader")
os.waitpid(member, 0)  # its group dies with the leader
`

// Each signal reaches each process of the worker's group once, and the
// leader once, also when it has left its group.
func TestSignalReachesEachProcessOnce(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	const sent = 50
	for _, mode := range []string{"in-group", "moved"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, "none")
			f.spec.Command = []string{python, "-c", countSignalsPython, mode}
			p := f.spawn(t, 1, 0, false)
			if n := next[supervisor.Notified](t, f.sink); !n.Datagram.Message.Ready {
				t.Fatalf("first notification %+v, want READY=1", n.Datagram.Message)
			}
			for range sent {
				if err := p.Signal(sigRT); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			var got []string
			for len(got) < 2 {
				got = append(got, next[supervisor.Notified](t, f.sink).Datagram.Message.Status)
			}
			for _, role := range []string{"leader", "member"} {
				want := fmt.Sprintf("%s rt=%d term=1", role, sent)
				if !strings.Contains(strings.Join(got, "\n"), want) {
					t.Errorf("counts %q, want %q", got, want)
				}
			}
			next[supervisor.Exited](t, f.sink)
		})
	}
}
