package e2e

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
)

// systemd-socket-activate binds the socket, waits for the first connection
// and then execs poold with LISTEN_FDS, as a .socket unit would. poold hands
// the socket on: every worker answers, and go-systemd's activation package
// accepted it in each, which it does only when LISTEN_PID is that worker's.
func TestSocketActivatedPoolAnswersFromEveryWorker(t *testing.T) {
	t.Parallel()
	activate, err := exec.LookPath("systemd-socket-activate")
	needTool(t, err == nil, "systemd-socket-activate", "apt-get install systemd")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, spec{
		// systemd-socket-activate passes on only the variables it is given.
		wrap:   []string{activate, "-l", addr, "--fdname=http", "-E", helperEnv + "=serve", "--"},
		args:   []string{"--workers", "3"},
		helper: "serve",
	})
	p.waitLog(`^Listening on `+addr+` as 3\.`, bound)

	first, err := get("http://" + addr + "/") // starts poold, answered once a worker accepts
	if err != nil {
		t.Fatal(err)
	}
	p.waitLog(`INF sockets from systemd fd=3 name=http `, bound)
	p.waitReady()
	answers := answersFrom(t, "http://"+addr+"/", 3)
	answers[first.PID] = first
	slots := map[string]bool{}
	for pid, a := range answers {
		if a.ListenPID != strconv.Itoa(pid) {
			t.Errorf("worker %d saw LISTEN_PID=%q, want its own PID", pid, a.ListenPID)
		}
		slots[a.Slot] = true
	}
	if len(answers) != 3 || !slots["0"] || !slots["1"] || !slots["2"] {
		t.Errorf("answers from %d workers in slots %v, want 3 in slots 0, 1 and 2", len(answers), slots)
	}
}

// pythonWorker is a worker written for systemd socket activation, with no
// knowledge of poold: python-systemd's listen_fds() (sd_listen_fds, which
// checks LISTEN_PID) and notify().
const pythonWorker = `
import json, os, socket
from http.server import BaseHTTPRequestHandler, HTTPServer
from systemd.daemon import listen_fds, notify

listen_pid = os.environ.get("LISTEN_PID", "")
fds = listen_fds()
if fds != [3]:
    raise SystemExit("python worker: listen_fds() = %r (LISTEN_PID=%r, pid %d)" % (fds, listen_pid, os.getpid()))

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"pid": os.getpid(), "slot": os.environ.get("POOLD_SLOT"), "listen_pid": listen_pid}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = HTTPServer(("", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = socket.socket(fileno=fds[0])
notify("READY=1")
server.serve_forever()
`

func TestPythonSystemdWorkerServesUnchanged(t *testing.T) {
	t.Parallel()
	python := pythonWithSystemd()
	needTool(t, python != "", "python3 with the systemd module", "apt-get install python3-systemd")
	// --ready notify: under auto, poold may see a worker wait on its socket
	// before it has read the READY=1 the worker sent just before, and say
	// it got ready by listening.
	p := start(t, spec{
		args:    []string{"--listen", "127.0.0.1:0", "--workers", "2", "--ready", "notify"},
		command: []string{python, "-c", pythonWorker},
	})
	url := "http://" + p.addr() + "/"
	p.waitLog(`INF worker ready .*\bvia="?READY=1`, bound)
	p.waitLog(`INF worker ready .*\bvia="?READY=1`, bound)
	p.waitReady()
	for pid, a := range answersFrom(t, url, 2) {
		if a.ListenPID != strconv.Itoa(pid) {
			t.Errorf("python worker %d saw LISTEN_PID=%q, want its own PID", pid, a.ListenPID)
		}
	}
}

// pythonWithSystemd returns a python3 that imports python-systemd (Debian's
// python3-systemd is for /usr/bin/python3, which another python3 on PATH may
// hide), or "".
func pythonWithSystemd() string {
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", "import systemd.daemon").Run() == nil {
			return py
		}
	}
	return ""
}
