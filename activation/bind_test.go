package activation

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// checkServes checks that s is a blocking, close-on-exec listening socket
// that accepts a connection dialled to dialAddr.
func checkServes(t *testing.T, s Socket, network, dialAddr string) {
	t.Helper()
	fd := int(s.File.Fd())
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_NONBLOCK != 0 {
		t.Errorf("F_GETFL = %#x, %v; want no O_NONBLOCK", flags, err)
	}
	fdFlags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil || fdFlags&unix.FD_CLOEXEC == 0 {
		t.Errorf("F_GETFD = %#x, %v; want FD_CLOEXEC", fdFlags, err)
	}
	if inNetpoller(s.File) {
		t.Error("the socket is in Go's netpoller")
	}
	dial(t, network, dialAddr)
	if err := acceptOne(fd); err != nil {
		t.Errorf("accept on %s: %v", s.Addr, err)
	}
}

func TestBindTCP(t *testing.T) {
	socks := mustBind(t, ListenSpec{Name: "http", Network: "tcp", Address: "127.0.0.1:0"})
	s := socks[0]
	_, port, err := net.SplitHostPort(s.Addr)
	if err != nil || port == "0" {
		t.Fatalf("Addr = %q, want 127.0.0.1:PORT", s.Addr)
	}
	if s.Name != "http" || s.Network != "tcp" || s.Addr != "127.0.0.1:"+port {
		t.Errorf("got %+v", s)
	}
	checkServes(t, s, "tcp", s.Addr)
}

// bindV6 binds spec, skipping the test where the host has no IPv6.
func bindV6(t *testing.T, spec ListenSpec) Socket {
	t.Helper()
	socks, err := Bind([]ListenSpec{spec})
	if errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Skipf("no IPv6: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { CloseAll(socks) })
	return socks[0]
}

func TestBindTCP6(t *testing.T) {
	s := bindV6(t, ListenSpec{Network: "tcp", Address: "[::1]:0"})
	if s.Name != "listen" || s.Network != "tcp6" || !strings.HasPrefix(s.Addr, "[::1]:") {
		t.Errorf("got %+v", s)
	}
	checkServes(t, s, "tcp6", s.Addr)
}

// TestBindAllAddresses checks ":PORT" is dual-stack, like ListenStream=PORT.
func TestBindAllAddresses(t *testing.T) {
	s := bindV6(t, ListenSpec{Network: "tcp", Address: ":0"})
	_, port, _ := net.SplitHostPort(s.Addr)
	if s.Network != "tcp6" || s.Addr != "[::]:"+port {
		t.Fatalf("got %+v, want tcp6 [::]:PORT", s)
	}
	checkServes(t, s, "tcp4", "127.0.0.1:"+port)
}

func TestBindUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.sock")
	s := mustBind(t, ListenSpec{Name: "admin", Network: "unix", Address: path})[0]
	if s.Name != "admin" || s.Network != "unix" || s.Addr != path {
		t.Errorf("got %+v", s)
	}
	checkServes(t, s, "unix", path)
}

func TestBindUnixAbstract(t *testing.T) {
	name := fmt.Sprintf("@poold-activation-test-%d", os.Getpid())
	s := mustBind(t, ListenSpec{Network: "unix", Address: name})[0]
	if s.Addr != name {
		t.Errorf("Addr = %q, want %q", s.Addr, name)
	}
	checkServes(t, s, "unix", name)
}

func TestBindUnixInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.sock")
	live := mustBind(t, ListenSpec{Network: "unix", Address: path})[0]
	_, err := Bind([]ListenSpec{{Name: "again", Network: "unix", Address: path}})
	want := fmt.Sprintf(`listen "unix:%s" (name "again"): bind: address already in use`, path)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Bind = %v, want error containing %q", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("errors.Is(%v, EADDRINUSE) = false", err)
	}
	// The probe left the live socket's file in place.
	checkServes(t, live, "unix", path)
}

func TestBindUnixReplacesStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.sock")
	old := mustBind(t, ListenSpec{Network: "unix", Address: path})
	if err := CloseAll(old); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("closing removed the socket file: %v", err)
	}
	s := mustBind(t, ListenSpec{Network: "unix", Address: path})[0]
	checkServes(t, s, "unix", path)
}

func TestBindUnixRefusesNonSocket(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give    string
		wantErr string
	}{
		{file, fmt.Sprintf(`listen "unix:%s" (name "listen"): path exists and is not a socket`, file)},
		{dir, "path exists and is not a socket"},
		{filepath.Join(dir, "missing", "x.sock"), "bind: no such file or directory"},
	}
	for _, tt := range tests {
		_, err := Bind([]ListenSpec{{Network: "unix", Address: tt.give}})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Bind(%s) = %v, want error containing %q", tt.give, err, tt.wantErr)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Errorf("file now %q, %v", b, err)
	}
}

// A port in use is explained: who listens on it, and what to do.
func TestBindPortInUse(t *testing.T) {
	taken := mustBind(t, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})[0]
	// An orphan of a worker of a dead poold holds it, and nobody else.
	holder := exec.Command("sleep", "1000")
	holder.ExtraFiles = []*os.File{taken.File}
	holder.Env = []string{"POOLD_POOL=old", "POOLD_WORKER_ID=7"}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	taken.File.Close()

	_, err := Bind([]ListenSpec{{Name: "web", Network: "tcp", Address: taken.Addr}})
	pid := holder.Process.Pid
	want := fmt.Sprintf(`listen %q (name "web"): bind: address already in use: held by pid %d (sleep 1000, worker 7 of pool "old"): `+
		`stop them, or listen on another address; workers of a poold that is gone are orphans: kill them (kill %d)`, taken.Addr, pid, pid)
	if err == nil || err.Error() != want {
		t.Fatalf("Bind = %v, want %q", err, want)
	}
	var berr *BindError
	if !errors.As(err, &berr) || berr.Spec.Name != "web" || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %#v: want a *BindError wrapping EADDRINUSE", err)
	}
}

// TestBindClosesOnError checks that a failing spec closes those bound before.
func TestBindClosesOnError(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.sock"), filepath.Join(dir, "second.sock")
	taken := mustBind(t, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})[0]
	socks, err := Bind([]ListenSpec{
		{Network: "unix", Address: first},
		{Network: "unix", Address: second},
		{Name: "web", Network: "tcp", Address: taken.Addr},
	})
	if err == nil || socks != nil {
		t.Fatalf("Bind = %v, %v; want an error", socks, err)
	}
	for _, path := range []string{first, second} {
		if _, err := net.Dial("unix", path); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial %s after the failed Bind: %v, want connection refused", path, err)
		}
	}
}

func TestBindRejectsBadSpec(t *testing.T) {
	tests := []struct {
		give    ListenSpec
		wantErr string
	}{
		{ListenSpec{Name: "a:b", Network: "tcp", Address: ":0"}, `name "a:b"`},
		{ListenSpec{Network: "udp", Address: ":0"}, `network "udp": want tcp or unix`},
		{ListenSpec{Network: "tcp", Address: "localhost:0"}, `listen "localhost:0" (name "listen"): host "localhost"`},
		{ListenSpec{Network: "unix", Address: "x.sock"}, "want an absolute path"},
	}
	for _, tt := range tests {
		_, err := Bind([]ListenSpec{tt.give})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Bind(%+v) = %v, want error containing %q", tt.give, err, tt.wantErr)
		}
	}
}

func TestSocketInode(t *testing.T) {
	s := mustBind(t, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})[0]
	ino, err := s.Inode()
	if err != nil {
		t.Fatal(err)
	}
	link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", s.File.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("socket:[%d]", ino); link != want {
		t.Errorf("Inode() = %d; /proc/self/fd says %q", ino, link)
	}
}

func TestCloseAll(t *testing.T) {
	socks := mustBind(t, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})
	if err := CloseAll(socks); err != nil {
		t.Fatal(err)
	}
	if err := CloseAll(socks); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second CloseAll = %v, want os.ErrClosed", err)
	}
}
