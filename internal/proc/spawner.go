package proc

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/notify"
	"github.com/poold/poold/internal/supervisor"
	"github.com/poold/poold/internal/workerlog"
)

// Config describes the workers a Spawner starts. What each worker is made
// from (command, environment, stop timeout, watchdog, memory limits) comes
// with its SpawnRequest, its generation's spec, so that a reload can change
// it.
type Config struct {
	Pool    string
	Sockets []activation.Socket
	// SlotSockets, when set, gives the sockets of one slot: the same count,
	// names and order as Sockets (checked at each spawn), each one of its
	// slot's own, typically bound to the same address with SO_REUSEPORT.
	// Workers of that slot get them as fds 3.. instead of Sockets. The
	// spawner neither keeps nor closes them: the caller keeps them open at
	// least until Spawn returns. When nil, every worker gets Sockets.
	SlotSockets func(slot int) ([]activation.Socket, error)
	// RuntimeDir holds the workers' notify sockets; the caller creates it,
	// accessible to poold and the workers only.
	RuntimeDir string
	// PrepareEnv, when set, turns a generation's spec into the environment
	// its workers start from (poold adds the Node.js preload); it is called
	// once per generation. When nil, workers start from the spec's Env.
	PrepareEnv func(generation int, spec config.WorkerSpec) ([]string, error)
	// Output, when set, gives each worker a pipe for its stdout and one
	// for its stderr, and passes their lines on; the workers then do not
	// get JOURNAL_STREAM, which describes poold's fds 1 and 2, not theirs.
	// When nil, workers write to Stdout and Stderr themselves.
	Output         *workerlog.Output
	Stdout, Stderr *os.File
	Reaper         *Reaper
	// Channels, when set, serves each worker's stream channel, passed to
	// it as the fd after its sockets (docs/worker-contract.md).
	Channels *channel.Hub
	// Cgroups, when set, starts each worker in a cgroup of its own, whose
	// processes all die with it (docs/worker-contract.md).
	Cgroups Cgroups
	Log     *slog.Logger
}

// ErrNoCommand: a spawn request's spec has no command (config refuses
// such a configuration, so it is a programming error).
var ErrNoCommand = errors.New("no worker command in the spec")

// Spawner starts workers; it implements supervisor.Spawner.
type Spawner struct {
	pool           string
	sockets        []activation.Socket
	files          []*os.File
	fdNames        string
	inodes         map[uint64]bool
	slotSockets    func(slot int) ([]activation.Socket, error)
	runtimeDir     string
	prepareEnv     func(int, config.WorkerSpec) ([]string, error)
	envs           generationEnvs
	output         *workerlog.Output
	stdout, stderr *os.File
	reaper         *Reaper
	channels       *channel.Hub
	cgroups        Cgroups
	notify         notifySockets
	live           liveWorkers
	running        runningWorkers
	log            *slog.Logger
}

// NewSpawner checks the configuration and returns a Spawner.
func NewSpawner(cfg Config) (*Spawner, error) {
	s := &Spawner{
		pool: cfg.Pool, sockets: cfg.Sockets, slotSockets: cfg.SlotSockets,
		runtimeDir: cfg.RuntimeDir, prepareEnv: cfg.PrepareEnv, stdout: cfg.Stdout, stderr: cfg.Stderr,
		reaper: cfg.Reaper, channels: cfg.Channels, log: cfg.Log, output: cfg.Output,
		inodes: make(map[uint64]bool, len(cfg.Sockets)),
	}
	s.cgroups = cfg.Cgroups
	if err := s.running.init(); err != nil {
		return nil, err
	}
	if s.reaper == nil {
		s.reaper = NewReaper(cfg.Log)
	}
	names := make([]string, len(cfg.Sockets))
	for i, sock := range cfg.Sockets {
		ino, err := sock.Inode()
		if err != nil {
			return nil, fmt.Errorf("socket %q: %w", sock.Name, err)
		}
		s.inodes[ino] = true
		s.files = append(s.files, sock.File)
		names[i] = sock.Name
	}
	s.fdNames = strings.Join(names, ":")
	return s, nil
}

// Spawn starts one worker through the trampoline and the goroutines that
// report on it.
func (s *Spawner) Spawn(req supervisor.SpawnRequest, sink supervisor.Sink) (supervisor.Process, error) {
	if len(req.Spec.Command) == 0 || req.Spec.Command[0] == "" {
		return nil, fmt.Errorf("spawn worker %d: %w", req.Slot, ErrNoCommand)
	}
	base, err := s.baseEnv(req)
	if err != nil {
		return nil, fmt.Errorf("spawn worker %d: environment of generation %d: %w", req.Slot, req.Generation, err)
	}
	files, inodes, err := s.socketsFor(req.Slot)
	if err != nil {
		return nil, fmt.Errorf("spawn worker %d: %w", req.Slot, err)
	}
	pipes, err := s.output.Open()
	if err != nil {
		return nil, fmt.Errorf("spawn worker %d: %w", req.Slot, err)
	}
	sockPath := filepath.Join(s.runtimeDir, fmt.Sprintf("w%d.notify", req.ID))
	ns, err := s.notify.listen(req, sockPath, sink, s.log)
	if err != nil {
		pipes.Close()
		return nil, fmt.Errorf("spawn worker %d: notify socket: %w", req.Slot, err)
	}
	env := s.workerEnv(req, base, sockPath)
	var ours, theirs *os.File
	if s.channels != nil {
		if ours, theirs, err = socketPair(); err != nil {
			s.notify.close(ns)
			pipes.Close()
			return nil, fmt.Errorf("spawn worker %d: channel: %w", req.Slot, err)
		}
		env = append(env, "POOLD_CHANNEL_FD="+strconv.Itoa(3+len(files)))
		files = append(slices.Clip(files), theirs)
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       append([]string{TrampolineArg0}, req.Spec.Command...),
		Env:        env,
		ExtraFiles: files,
		Stdout:     s.stdout,
		Stderr:     s.stderr,
		// The worker dies with poold, even by SIGKILL: see forker and
		// keepDeathSignal.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	}
	if pipes != nil {
		cmd.Stdout, cmd.Stderr = pipes.Stdout(), pipes.Stderr()
	}
	pidfd := -1 // the worker is known by it, here and after an upgrade
	cmd.SysProcAttr.PidFD = &pidfd
	s.live.add(uint64(req.ID)) // before the fork: an orphan sweep must spare it
	cg, err := s.start(cmd, req)
	if theirs != nil {
		theirs.Close() // the worker has its copy
	}
	if err != nil {
		s.live.remove(uint64(req.ID))
		s.notify.close(ns)
		pipes.Close()
		if ours != nil {
			ours.Close()
		}
		return nil, fmt.Errorf("spawn worker %d: %w", req.Slot, err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release() // its pidfd is a dup of ours: nothing waits through it
	pipes.Start(workerlog.Worker{Pool: s.pool, Slot: req.Slot, Generation: req.Generation, ID: uint64(req.ID), PID: pid})
	p := &process{pid: pid, pidfd: pidfd, slot: req.Slot, cgroup: cg, inodes: inodes, exited: make(chan struct{})}
	if ours != nil {
		peer := channel.Peer{ID: uint64(req.ID), Slot: req.Slot, PID: p.pid}
		if err := s.channels.Attach(peer, ours, sinkEvents{sink}); err != nil {
			s.log.Warn("worker runs without its stream channel", "slot", req.Slot, "pid", p.pid, "err", err)
		}
	}
	s.watch(&runningWorker{id: req.ID, generation: req.Generation, p: p, ns: ns, pipes: pipes}, req.ProbeListening, sink)
	return p, nil
}

// watch starts reading what a started or adopted worker sends, and
// waiting for its exit.
func (s *Spawner) watch(w *runningWorker, probe bool, sink supervisor.Sink) {
	s.running.add(w)
	w.ns.start(w.p)
	go s.wait(w, sink)
	if probe {
		go probeListening(w.p, w.p.inodes, w.id, sink, s.running.frozen)
	}
}

// socketsFor is what a worker of slot gets as fds 3.., and the inodes the
// listening probe looks for: the pool's sockets, or the slot's own.
func (s *Spawner) socketsFor(slot int) ([]*os.File, map[uint64]bool, error) {
	if s.slotSockets == nil {
		return s.files, s.inodes, nil
	}
	socks, err := s.slotSockets(slot)
	if err != nil {
		return nil, nil, fmt.Errorf("sockets of slot %d: %w", slot, err)
	}
	if len(socks) != len(s.sockets) {
		return nil, nil, fmt.Errorf("sockets of slot %d: got %d, want %d like the pool", slot, len(socks), len(s.sockets))
	}
	files := make([]*os.File, len(socks))
	inodes := make(map[uint64]bool, len(socks))
	for i, sock := range socks {
		if sock.Name != s.sockets[i].Name {
			return nil, nil, fmt.Errorf("sockets of slot %d: socket %d is %q, want %q like the pool", slot, i, sock.Name, s.sockets[i].Name)
		}
		ino, err := sock.Inode()
		if err != nil {
			return nil, nil, fmt.Errorf("sockets of slot %d: socket %q: %w", slot, sock.Name, err)
		}
		files[i] = sock.File
		inodes[ino] = true
	}
	return files, inodes, nil
}

// RebindNotify binds again, at their paths, the notify sockets of the
// running workers whose files are gone: after the runtime directory was
// lost and made anew.
func (s *Spawner) RebindNotify() error {
	if err := s.notify.rebind(); err != nil {
		return fmt.Errorf("notify sockets: %w", err)
	}
	return nil
}

// NotifyRefused counts the notify datagrams refused because a process
// other than the worker or one it started sent them.
func (s *Spawner) NotifyRefused() uint64 { return s.notify.refused.Load() }

func (s *Spawner) wait(w *runningWorker, sink supervisor.Sink) {
	defer s.running.waiters.Done()
	p, ns, pipes, id := w.p, w.ns, w.pipes, w.id
	if !p.waitExit(s.running.freeze) {
		return // frozen for an upgrade: the next poold waits for it
	}
	status := p.reap()
	s.running.remove(id)
	s.reaper.forget(p.pid)
	s.live.remove(uint64(id))
	if p.cgroup == nil { // a cgroup's kill reached them all
		s.killOrphans(s.poolInodes(p.inodes))
	}
	s.settle(p, &status)
	close(p.exited)
	s.notify.close(ns)
	pipes.Wait(outputDrainBound) // its last words before the news of its exit
	if s.channels != nil {
		s.channels.Detach(uint64(id))
	}
	sink.Post(supervisor.Exited{ID: id, Status: status, Output: pipes.Tail()})
}

// socketPair returns the two ends of a channel, both close-on-exec: exec.Cmd
// passes the worker's end through ExtraFiles without it.
func socketPair() (ours, theirs *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	return os.NewFile(uintptr(fds[0]), "channel"), os.NewFile(uintptr(fds[1]), "worker channel"), nil
}

// sinkEvents posts what workers say on their channels to the supervisor.
type sinkEvents struct{ sink supervisor.Sink }

func (e sinkEvents) Notified(id uint64, d notify.Datagram) {
	e.sink.Post(supervisor.Notified{ID: supervisor.WorkerID(id), Datagram: d})
}

func (e sinkEvents) Reported(id uint64, m channel.Metrics) {
	e.sink.Post(supervisor.Reported{ID: supervisor.WorkerID(id), Metrics: m})
}
