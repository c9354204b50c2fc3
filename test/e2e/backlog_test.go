package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// listenPython listens on fd 3 with a backlog of 16, as an app or server
// that calls listen(2) on its inherited socket would, and accepts.
const listenPython = `
import socket
s = socket.socket(fileno=3)
s.listen(16)
while True:
    s.accept()[0].close()
`

// A worker's listen(2) on its pool socket sets the socket's backlog for
// every worker; poold sets the socket's own again once the worker is
// ready, on the per-slot sockets of --distribution balanced too. Node's
// listen, made by the preload, keeps it as it was (Node's default would
// make it 511). ss shows a listener's backlog as its Send-Q.
func TestWorkersLeaveTheSocketsBacklog(t *testing.T) {
	t.Parallel()
	node, express := expressExample(t)
	python, err := exec.LookPath("python3")
	needTool(t, err == nil, "python3", "apt-get install python3")
	ss, err := exec.LookPath("ss")
	needTool(t, err == nil, "ss", "apt-get install iproute2")
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(min(4096, atoi(t, strings.TrimSpace(string(b))))) // SOMAXCONN, as the kernel caps it
	for _, tt := range []struct {
		name, distribution string
		workers            int
		command            []string
		was                string // the backlog the worker's listen made
	}{
		{"node", "shared", 1, []string{node, "server.js"}, want},
		{"node-balanced", "balanced", 2, []string{node, "server.js"}, want},
		{"python", "shared", 1, []string{python, "-c", listenPython}, "16"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, spec{
				args: []string{"--log-level", "debug", "--listen", "127.0.0.1:0", "--workers", itoa(tt.workers),
					"--distribution", tt.distribution},
				command: tt.command,
				dir:     express,
			})
			addr := p.addr()
			for range tt.workers {
				_, m := p.waitLog(`DBG pool socket's backlog set again, the worker ready .*\bbacklog=(\d+) was=(\d+)`, bound)
				if m[1] != want || m[2] != tt.was {
					t.Errorf("backlog %s, was %s after the worker's listen; want %s, was %s", m[1], m[2], want, tt.was)
				}
			}
			port := addr[strings.LastIndexByte(addr, ':')+1:]
			out, err := exec.Command(ss, "-Hltn", "sport = :"+port).Output()
			if err != nil {
				t.Fatalf("ss: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != tt.workers {
				t.Fatalf("ss shows %d listeners on port %s, want %d:\n%s", len(lines), port, tt.workers, out)
			}
			for _, l := range lines {
				if f := strings.Fields(l); len(f) < 3 || f[2] != want {
					t.Errorf("listener %q: backlog (Send-Q) is not %s", l, want)
				}
			}
		})
	}
}
