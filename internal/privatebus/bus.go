package privatebus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/poold/poold/dbusapi/policy"
	"golang.org/x/sys/unix"
)

// ErrNoDaemon: dbus-daemon is not installed.
var ErrNoDaemon = errors.New("dbus-daemon not found: install the dbus-daemon package")

// daemonName is looked up in PATH; tests change it.
var daemonName = "dbus-daemon"

// stopTimeout bounds the wait for the daemon to exit on SIGTERM.
var stopTimeout = 5 * time.Second

// Bus is a running dbus-daemon.
type Bus struct {
	addr string
	dir  string
	cmd  *exec.Cmd
	log  *slog.Logger
	// pidfd is the daemon's while it runs, -1 before and after: a poold
	// that execs itself hands it over, for the new poold to reap the
	// daemon the exec killed.
	pidfd atomic.Int64

	done    chan struct{} // closed once the daemon has exited and been reaped
	waitErr error         // cmd.Wait's result, set before done is closed
	logDone chan struct{} // closed when the daemon's stderr is at EOF
	said    []string      // its last stderr lines; read only after logDone

	closeOnce sync.Once
	closeErr  error
}

// Start runs the private bus of a pool in dir, created if missing: a
// system-like bus with the shipped policy, where poold's own uid also has
// root's rights on poold's names. ctx bounds the start only.
func Start(ctx context.Context, dir string, log *slog.Logger) (*Bus, error) {
	dir, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	pol := filepath.Join(dir, policy.FileName)
	if err := os.WriteFile(pol, policy.Conf, 0o644); err != nil {
		return nil, fmt.Errorf("private bus: %w", err)
	}
	conf := Config{Dir: dir, Type: "poold", Owner: os.Geteuid(), Includes: []string{pol}}
	return StartConfig(ctx, dir, conf.XML(), log)
}

// StartConfig runs dbus-daemon with the configuration conf, written to
// dir/bus.conf; dir is created if missing and made 0711, so that other users
// can reach a socket in it but not list it. ctx bounds the start only: the
// daemon runs until Close.
func StartConfig(ctx context.Context, dir string, conf []byte, log *slog.Logger) (*Bus, error) {
	path, err := exec.LookPath(daemonName)
	if err != nil {
		return nil, fmt.Errorf("private bus: %w (%v)", ErrNoDaemon, err)
	}
	if dir, err = prepareDir(dir); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	confPath := filepath.Join(dir, ConfigName)
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		return nil, fmt.Errorf("private bus: %w", err)
	}
	addrR, addrW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("private bus: %w", err)
	}
	defer addrR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		addrW.Close()
		return nil, fmt.Errorf("private bus: %w", err)
	}
	cmd := command(path, confPath, addrW, errW)
	b := &Bus{dir: dir, cmd: cmd, log: log, done: make(chan struct{}), logDone: make(chan struct{})}
	b.pidfd.Store(-1)
	started := make(chan error, 1)
	go b.run(started)
	err = <-started
	addrW.Close()
	errW.Close()
	if err != nil {
		errR.Close()
		return nil, fmt.Errorf("private bus: %w", err)
	}
	go b.logStderr(errR)
	pidErr := writePID(dir, cmd.Process.Pid)
	b.addr, err = b.readAddress(ctx, addrR)
	if err == nil && pidErr != nil {
		b.kill()
		err = pidErr
	}
	if err != nil {
		return nil, fmt.Errorf("private bus: %w", err)
	}
	return b, nil
}

// command is the daemon's command line: it prints its address on addr (fd 3)
// and what goes wrong on stderr.
func command(path, conf string, addr, stderr *os.File) *exec.Cmd {
	cmd := exec.Command(path, "--nofork", "--nopidfile", "--config-file="+conf, "--print-address=3")
	cmd.ExtraFiles = []*os.File{addr}
	cmd.Stderr = stderr
	cmd.Env = []string{} // nothing of poold's environment
	// Its own process group: a Ctrl-C meant for poold must not end the
	// control plane before the drain.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	return cmd
}

// Address is the bus's D-Bus address, as the daemon printed it.
func (b *Bus) Address() string { return b.addr }

// PID is the daemon's process ID.
func (b *Bus) PID() int { return b.cmd.Process.Pid }

// PidFD is the running daemon's pidfd, -1 once it has exited or when the
// kernel gives none.
func (b *Bus) PidFD() int { return int(b.pidfd.Load()) }

// Done is closed when the daemon has exited, on Close or on its own.
func (b *Bus) Done() <-chan struct{} { return b.done }

// Close stops the daemon: SIGTERM, then SIGKILL if it has not exited after
// a few seconds. It returns an error if the daemon had already exited or did
// not stop cleanly. Later calls return the first result.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.stop() })
	return b.closeErr
}

func (b *Bus) stop() error {
	defer os.Remove(filepath.Join(b.dir, pidName))
	select {
	case <-b.done:
		<-b.logDone
		return fmt.Errorf("private bus: dbus-daemon exited before it was stopped (%s)", b.exitStatus())
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM) // fails only if it has exited: Wait tells
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-b.done:
	case <-timer.C:
		b.kill()
		os.Remove(filepath.Join(b.dir, SocketName))
		return fmt.Errorf("private bus: dbus-daemon still running %v after SIGTERM: killed", stopTimeout)
	}
	<-b.logDone
	var exit *exec.ExitError
	if b.waitErr == nil || errors.As(b.waitErr, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM {
		return nil
	}
	return fmt.Errorf("private bus: dbus-daemon: %w", b.waitErr)
}

// kill ends the daemon at once and waits for it.
func (b *Bus) kill() {
	_ = b.cmd.Process.Kill() // fails only if it has exited
	<-b.done
	<-b.logDone
}

// run starts the daemon and waits for it. Pdeathsig fires when the thread
// that forked the daemon exits, not when poold does (golang/go#27505), so
// this goroutine keeps its thread to itself until the daemon is gone.
func (b *Bus) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pidfd := -1
	b.cmd.SysProcAttr.PidFD = &pidfd
	if err := b.cmd.Start(); err != nil {
		started <- err
		return
	}
	b.pidfd.Store(int64(pidfd))
	started <- nil
	b.waitErr = b.cmd.Wait()
	if fd := b.pidfd.Swap(-1); fd >= 0 {
		unix.Close(int(fd))
	}
	close(b.done)
}

// readAddress reads the line the daemon prints once it listens.
func (b *Bus) readAddress(ctx context.Context, r *os.File) (string, error) {
	type result struct {
		line string
		err  error
	}
	c := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		c <- result{line, err}
	}()
	select {
	case res := <-c:
		if res.err != nil { // EOF: the daemon exited
			<-b.done
			<-b.logDone
			return "", fmt.Errorf("dbus-daemon exited (%s): %s", b.exitStatus(), strings.Join(b.said, "; "))
		}
		return strings.TrimSpace(res.line), nil
	case <-ctx.Done():
		b.kill() // closes the pipe: the reader returns
		<-c
		return "", fmt.Errorf("dbus-daemon did not start: %w", ctx.Err())
	}
}

// logStderr logs what the daemon says. Policy denials are worth a warning;
// it also warns, at every start, that group poold does not exist on hosts
// where nobody created it, which is not.
func (b *Bus) logStderr(r *os.File) {
	defer close(b.logDone)
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if len(b.said) == 8 {
			b.said = b.said[1:]
		}
		b.said = append(b.said, line)
		level := slog.LevelWarn
		if strings.Contains(line, `Unknown group "`+policy.Group+`"`) || strings.Contains(line, "Failed to set fd limit") {
			level = slog.LevelDebug
		}
		b.log.Log(context.Background(), level, "private bus", "dbus-daemon", line)
	}
}

func (b *Bus) exitStatus() string {
	if b.waitErr == nil {
		return "exit status 0"
	}
	return b.waitErr.Error()
}

// prepareDir creates dir if missing, checks that it is a directory of
// poold's user (not a symlink or a directory someone else planted) and makes
// it 0711.
func prepareDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("private bus: %w", err)
	}
	if err := os.Mkdir(dir, 0o711); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("private bus: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("private bus: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || !ok || int(st.Uid) != os.Geteuid() {
		return "", fmt.Errorf("private bus: %s is not a directory of uid %d", dir, os.Geteuid())
	}
	if err := os.Chmod(dir, 0o711); err != nil { // whatever the umask
		return "", fmt.Errorf("private bus: %w", err)
	}
	return dir, nil
}
