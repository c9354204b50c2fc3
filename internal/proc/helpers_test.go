package proc

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/coreos/go-systemd/v22/daemon"
)

// helperEnv selects a helper worker when the test binary runs as one, like
// the helperCommands of os/exec's tests.
const helperEnv = "GO_PROC_HELPER"

// workerHelpers are the behaviours a test worker can have.
var workerHelpers = map[string]func() int{
	// serve answers on the first inherited socket, which go-systemd's
	// activation package only hands over when LISTEN_PID is the worker's.
	"serve":        func() int { return serve(true) },
	"serve-silent": func() int { return serve(false) },
	"exit3":        func() int { return 3 },
	"orphan":       orphan,
	"ignore-term":  ignoreTerm,
	"channel":      channelWorker,
	"notify-tree":  notifyTree,
	"notify-child": notifyChild,
}

func TestMain(m *testing.M) {
	MaybeRunTrampoline()
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(workerHelpers[name]())
	}
	os.Exit(m.Run())
}

// contract is what a serve helper reports about its environment.
type contract struct {
	PID       int
	ListenPID string
	Env       map[string]string
	Listeners int
	OpenFiles []string // what the worker's fds point to
}

func serve(sayReady bool) int {
	info := contract{PID: os.Getpid(), Env: map[string]string{}}
	for _, kv := range os.Environ() { // before activation.Listeners unsets LISTEN_*
		k, v, _ := strings.Cut(kv, "=")
		info.Env[k] = v
	}
	info.ListenPID = info.Env["LISTEN_PID"]
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		target, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		info.OpenFiles = append(info.OpenFiles, target)
	}
	ls, err := activation.Listeners() // checks LISTEN_PID == getpid()
	if err != nil || len(ls) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no listeners:", err, info.ListenPID, os.Getpid())
		return 1
	}
	info.Listeners = len(ls)
	if sayReady {
		if ok, err := daemon.SdNotify(false, "READY=1\nSTATUS=serving"); !ok || err != nil {
			return 1
		}
	}
	http.Serve(ls[0], http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(info)
	}))
	return 0
}

// orphan starts a long sleep in its own process group and exits, leaving the
// sleep behind; it reports the sleep's PID as its STATUS.
func orphan() int {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		return 1
	}
	daemon.SdNotify(false, "STATUS=child="+strconv.Itoa(cmd.Process.Pid))
	return 0
}

func ignoreTerm() int {
	signal.Ignore(syscall.SIGTERM)
	daemon.SdNotify(false, "READY=1")
	select {}
}

// servePollPython is a stdlib-only Python worker whose server waits in
// poll(2) (socketserver's PollSelector), not in epoll or accept.
const servePollPython = `
import socket, socketserver, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
srv = socketserver.TCPServer(("", 0), H, bind_and_activate=False)
srv.socket = socket.socket(fileno=3)
srv.serve_forever()
`

// serveSelectPython waits in select(2) on fd 3, as gunicorn's sync workers do.
const serveSelectPython = `
import select, socket
s = socket.socket(fileno=3)
while True:
    r, _, _ = select.select([s], [], [])
    c, _ = s.accept(); c.close()
`

// channelWorker speaks the stream channel: hello, READY=1 and metrics, then
// exits 0 on a "bye" broadcast, 4 on anything else.
func channelWorker() int {
	fd, err := strconv.Atoi(os.Getenv("POOLD_CHANNEL_FD"))
	if err != nil {
		return 5
	}
	ch := os.NewFile(uintptr(fd), "channel")
	fmt.Fprintln(ch, `{"op":"hello","version":1}`)
	fmt.Fprintln(ch, `{"op":"notify","state":"READY=1"}`)
	fmt.Fprintln(ch, `{"op":"metrics","requests":5}`)
	dec := json.NewDecoder(ch)
	for {
		var m struct {
			Op   string
			Data any
		}
		if err := dec.Decode(&m); err != nil {
			return 6
		}
		if m.Op == "message" {
			if m.Data == "bye" {
				return 0
			}
			return 4
		}
	}
}

// notifyTree says STATUS=waiting, then on each SIGUSR1 has a child send
// STATUS=child when NOTIFY_CHILD_UID is set (as that uid, if not empty),
// waits until it did, and sends STATUS=worker itself.
func notifyTree() int {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	if ok, err := daemon.SdNotify(false, "STATUS=waiting"); !ok || err != nil {
		return 7
	}
	for range usr1 {
		if _, ok := os.LookupEnv("NOTIFY_CHILD_UID"); ok {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), helperEnv+"=notify-child")
			out, err := cmd.StdoutPipe()
			if err != nil || cmd.Start() != nil {
				return 8
			}
			if _, err := out.Read(make([]byte, 1)); err != nil { // the child sent
				return 9
			}
		}
		if ok, err := daemon.SdNotify(false, "STATUS=worker"); !ok || err != nil {
			return 7
		}
	}
	return 0
}

// notifyChild connects to NOTIFY_SOCKET, becomes NOTIFY_CHILD_UID if set,
// sends STATUS=child, writes a byte on stdout and waits to be killed with
// its worker's process group, so that it is alive when poold looks at it.
func notifyChild() int {
	c, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		return 10
	}
	if uid := os.Getenv("NOTIFY_CHILD_UID"); uid != "" {
		n, _ := strconv.Atoi(uid)
		if err := syscall.Setuid(n); err != nil {
			fmt.Fprintln(os.Stderr, "helper: setuid:", err)
			return 11
		}
	}
	if _, err := c.Write([]byte("STATUS=child")); err != nil {
		return 12
	}
	os.Stdout.Write([]byte{1})
	select {}
}
