package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperAnswer is what the helper worker tells about itself.
type helperAnswer struct {
	PID       int      `json:"pid"`
	Names     []string `json:"names"`      // of Listeners, called before Serve
	ListenFDs string   `json:"listen_fds"` // $LISTEN_FDS once taken
}

// runHelper is the test binary as a worker: it serves with Serve.
func runHelper() int {
	ls, err := Listeners()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	me := helperAnswer{PID: os.Getpid(), ListenFDs: os.Getenv("LISTEN_FDS")}
	for _, l := range ls {
		me.Names = append(me.Names, l.Name)
		l.Close()
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(me)
	})}
	if err := Serve(srv); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// Under poold (or systemd): Serve takes the passed socket (after a first
// Listeners, which names it and leaves it for Serve), says READY=1 and
// sends heartbeats on NOTIFY_SOCKET, and on SIGTERM says STOPPING=1,
// closes the idle connection and exits 0.
func TestServeOnThePassedSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	notifications := notifySocket(t)

	// The shell is the trampoline: LISTEN_PID is its PID, which exec keeps.
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0"`, os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=serve", "LISTEN_FDS=1", "LISTEN_FDNAMES=web",
		"NOTIFY_SOCKET="+notifications.path, "WATCHDOG_USEC=100000", "POOLD_STOP_TIMEOUT_MS=60000")
	cmd.ExtraFiles = []*os.File{sock}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()

	if got := notifications.next(t); !strings.HasPrefix(got, "READY=1\nWATCHDOG=1\nSTATUS=") {
		t.Errorf("first notification %q, want READY=1, a first WATCHDOG=1 and a STATUS=", got)
	}
	c := dial(t, ln.Addr().String())
	resp, body := c.get("/")
	var a helperAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s %q: %v", resp.Status, body, err)
	}
	if a.PID != cmd.Process.Pid || strings.Join(a.Names, ",") != "web" || a.ListenFDs != "" {
		t.Errorf("the worker said %+v; want pid %d, names [web] and LISTEN_FDS unset once taken", a, cmd.Process.Pid)
	}
	for range 2 {
		if got := notifications.next(t); got != "WATCHDOG=1" {
			t.Errorf("notification %q, want WATCHDOG=1 every 50ms", got)
		}
	}

	cmd.Process.Signal(syscall.SIGTERM)
	for got := ""; !strings.HasPrefix(got, "STOPPING=1\n"); {
		got = notifications.next(t)
	}
	c.waitClosed()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the worker exited with %v, want 0", err)
		}
	case <-time.After(bound):
		cmd.Process.Signal(syscall.SIGQUIT)
		<-exited
		t.Fatalf("the worker did not exit within %v of SIGTERM", bound)
	}
}

// Without poold, ServeContext listens on srv.Addr, and ends with its context.
func TestServeContextListensOnAddrWithoutPoold(t *testing.T) {
	addr := make(chan net.Addr, 1)
	srv := &http.Server{
		Addr:        "127.0.0.1:0",
		Handler:     http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }),
		BaseContext: func(l net.Listener) context.Context { addr <- l.Addr(); return context.Background() },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ServeContext(ctx, srv) }()
	var a net.Addr
	select {
	case a = <-addr:
	case err := <-done:
		t.Fatalf("ServeContext: %v", err)
	}
	c := dial(t, a.String())
	if resp, body := c.get("/"); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("GET /: %s %q", resp.Status, body)
	}
	c.conn.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeContext: %v", err)
		}
	case <-time.After(bound):
		t.Fatalf("ServeContext did not return within %v of its context's end", bound)
	}
}

// notifications is a NOTIFY_SOCKET that the test reads.
type notifications struct {
	path string
	conn *net.UnixConn
}

func notifySocket(t *testing.T) *notifications {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &notifications{path: path, conn: conn}
}

// next returns the next datagram.
func (n *notifications) next(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 4096)
	n.conn.SetReadDeadline(time.Now().Add(bound))
	k, err := n.conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification within %v: %v", bound, err)
	}
	return string(buf[:k])
}
