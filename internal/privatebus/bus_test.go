package privatebus_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/testbound"
)

const accessDenied = "org.freedesktop.DBus.Error.AccessDenied"

// TestMain doubles as a poold that starts a private bus and is then killed
// (see TestDaemonDiesWithPoold).
func TestMain(m *testing.M) {
	if dir := os.Getenv("PRIVATEBUS_TEST_HELPER"); dir != "" {
		helper(dir)
		return
	}
	os.Exit(m.Run())
}

func helper(dir string) {
	bus, err := privatebus.Start(context.Background(), dir, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(bus.PID())
	select {} // until killed
}

// base makes a directory every user can traverse, as the bases of
// internal/rundir are.
func base(t *testing.T) string {
	t.Helper()
	bustest.RequireDaemon(t)
	d, err := os.MkdirTemp("", "privatebus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func start(t *testing.T, dir string) *privatebus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(30*time.Second))
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bus, err := privatebus.Start(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return bus
}

// gone reports whether the process pid has exited within timeout, watching a
// pidfd.
func gone(t *testing.T, pid int, timeout time.Duration) bool {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(timeout.Milliseconds()))
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestStartClose(t *testing.T) {
	dir := filepath.Join(base(t), "app.1.bus")
	bus := start(t, dir)
	if !strings.HasPrefix(bus.Address(), "unix:path="+dir+"/bus,") {
		t.Errorf("Address = %q", bus.Address())
	}
	for path, want := range map[string]fs.FileMode{dir: fs.ModeDir | 0o711, filepath.Join(dir, "bus"): fs.ModeSocket | 0o777} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode(), err, want)
		}
	}

	conn, err := dbus.Connect(bus.Address())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if reply, err := conn.RequestName("org.poold.pool1.app", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Errorf("the pool's own user cannot own its name: %v, %d", err, reply)
	}

	if err := bus.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-bus.Done():
	default:
		t.Error("Done not closed after Close")
	}
	if !gone(t, bus.PID(), 0) {
		t.Errorf("dbus-daemon %d still runs", bus.PID())
	}
	if _, err := os.Lstat(filepath.Join(dir, "bus")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	if err := bus.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Other users can reach a pool's private bus and read, but not change it;
// the pool's own user can, root or not.
func TestOtherUsers(t *testing.T) {
	bustest.RequireRoot(t)
	nobody := bustest.Nobody(t)
	daemonUser := bustest.User{UID: 1, GID: 1} // the account "daemon"
	scale := []string{"org.poold.pool1.Manager.Scale", "int32:2", "uint64:0"}
	list := []string{"org.poold.pool1.Manager.ListWorkers"}
	const name = "org.poold.pool1.app"
	path := string(bustest.FakePoolPath)

	t.Run("root's pool", func(t *testing.T) {
		bus := start(t, filepath.Join(base(t), "app.1.bus"))
		bustest.ServeFakePool(t, bus.Address(), name, nil)
		if _, err := bustest.Send(t, bus.Address(), &nobody, name, path, list[0]); err != nil {
			t.Errorf("nobody cannot read: %v", err)
		}
		if out, err := bustest.Send(t, bus.Address(), &nobody, name, path, scale[0], scale[1:]...); !strings.Contains(out, accessDenied) {
			t.Errorf("nobody may scale root's pool: %v %s", err, out)
		}
	})

	t.Run("nobody's pool", func(t *testing.T) {
		dir, err := filepath.Abs(filepath.Join(base(t), "app.2.bus"))
		if err != nil {
			t.Fatal(err)
		}
		pol := filepath.Join(dir, "policy.conf")
		conf := privatebus.Config{Dir: dir, Type: "poold", Owner: int(nobody.UID), Includes: []string{pol}}
		if err := os.Mkdir(dir, 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pol, policyConf(t), 0o644); err != nil {
			t.Fatal(err)
		}
		bus, err := privatebus.StartConfig(context.Background(), dir, conf.XML(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bus.Close() })
		bustest.ServeFakePool(t, bus.Address(), name, nil)
		if _, err := bustest.Send(t, bus.Address(), &nobody, name, path, scale[0], scale[1:]...); err != nil {
			t.Errorf("the owner cannot scale: %v", err)
		}
		if _, err := bustest.Send(t, bus.Address(), &nobody, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus.RequestName", "string:org.poold.pool1.other", "uint32:0"); err != nil {
			t.Errorf("the owner cannot own a pool name: %v", err)
		}
		if _, err := bustest.Send(t, bus.Address(), &daemonUser, name, path, list[0]); err != nil {
			t.Errorf("another user cannot read: %v", err)
		}
		if out, err := bustest.Send(t, bus.Address(), &daemonUser, name, path, scale[0], scale[1:]...); !strings.Contains(out, accessDenied) {
			t.Errorf("another user may scale: %v %s", err, out)
		}
	})
}

func policyConf(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../dbusapi/policy/org.poold.pool1.conf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The daemon dies with the poold that started it, even killed by SIGKILL.
func TestDaemonDiesWithPoold(t *testing.T) {
	dir := filepath.Join(base(t), "app.1.bus")
	// The orphaned daemon comes to this process, which reaps it, rather
	// than to an init that may not.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PRIVATEBUS_TEST_HELPER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		t.Fatalf("helper: %q, %v", line, err)
	}
	fd, err := unix.PidfdOpen(pid, 0) // pins the daemon before its parent dies
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 10_000)
	if err != nil || n != 1 {
		t.Errorf("dbus-daemon %d still runs 10s after its poold was killed (%v)", pid, err)
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
	cmd.Wait() // reap the helper, then the daemon, now a child of this process
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PIDFD, fd, &info, unix.WEXITED, nil); err != nil {
		t.Logf("reap dbus-daemon %d: %v", pid, err)
	}
}

func TestKillStale(t *testing.T) {
	dir := filepath.Join(base(t), "app.1.bus")
	bus := start(t, dir)
	killed, err := privatebus.KillStale(dir)
	if err != nil || !killed {
		t.Fatalf("KillStale = %v, %v", killed, err)
	}
	select {
	case <-bus.Done():
	case <-time.After(testbound.Scale(10 * time.Second)):
		t.Fatal("the daemon still runs after KillStale")
	}
	if err := bus.Close(); err == nil {
		t.Error("Close of a killed daemon: no error")
	}
	if killed, err := privatebus.KillStale(dir); killed || err != nil {
		t.Errorf("KillStale again = %v, %v", killed, err)
	}
}

// KillStale leaves alone a process that got the recorded PID but is not the
// daemon.
func TestKillStaleOtherProcess(t *testing.T) {
	dir := base(t)
	other := exec.Command("sleep", "1000")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", other.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	record := fmt.Sprintf("%d %s\n", other.Process.Pid, fields[19]) // right PID and start time
	if err := os.WriteFile(filepath.Join(dir, "dbus-daemon.pid"), []byte(record), 0o644); err != nil {
		t.Fatal(err)
	}
	if killed, err := privatebus.KillStale(dir); killed || err != nil {
		t.Errorf("KillStale = %v, %v", killed, err)
	}
	other.Process.Signal(syscall.SIGTERM)
	err = other.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("the other process ended with %v, want our SIGTERM", err)
	}
}
