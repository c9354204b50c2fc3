package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Env is where the contenders' programs are and how they run.
type Env struct {
	Root       string // the repository
	Bare       string // the built bare-launcher
	Tmp        string // scratch: PM2_HOME, logs
	Workers    int
	ServerCPUs string // taskset -c for the servers, "" for none
	Log        func(format string, args ...any)
}

func (e *Env) express() string { return filepath.Join(e.Root, "examples", "express") }

// Contender is one way of serving the app.
type Contender struct {
	Name  string
	Label string
	start func(e *Env, addr string, bus bool) (*Instance, error)
}

// Instance is a running contender.
type Instance struct {
	Name   string
	SupPID int // the supervisor (poold, cluster primary, PM2 daemon, launcher); 0 for none
	cmd    *exec.Cmd
	done   chan struct{}
	// workers lists the worker pids now.
	workers func() []int
	reload  func(ctx context.Context) error        // nil: no rolling reload
	scale   func(ctx context.Context, n int) error // nil: no scaling
	stop    func()
}

// exited says whether the process the harness started has exited (for PM2,
// whose CLI returns at once, never).
func (in *Instance) exited() bool {
	if in.done == nil {
		return false
	}
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

// Workers lists the worker pids now.
func (in *Instance) Workers() []int { return in.workers() }

// CanReload says whether the contender has a rolling reload.
func (in *Instance) CanReload() bool { return in.reload != nil }

// Reload starts a rolling reload and returns when its command returns.
func (in *Instance) Reload(ctx context.Context) error { return in.reload(ctx) }

// CanScale says whether the contender's worker count can be changed while
// it runs.
func (in *Instance) CanScale() bool { return in.scale != nil }

// Scale sets the worker count to n and returns when its command returns,
// not when the workers have started or stopped.
func (in *Instance) Scale(ctx context.Context, n int) error { return in.scale(ctx, n) }

// Stop stops the contender and everything it started.
func (in *Instance) Stop() { in.stop() }

// Contenders are every contender of the issue, in report order.
func Contenders() []Contender {
	cs := []Contender{
		{Name: "single", Label: "single node process", start: startSingle},
		{Name: "cluster-rr", Label: "Node cluster, round-robin", start: startCluster("rr")},
		{Name: "cluster-none", Label: "Node cluster, SCHED_POLICY=none", start: startCluster("none")},
		{Name: "pm2", Label: "PM2 cluster mode", start: startPM2},
	}
	for _, m := range []string{"shared", "balanced", "sticky"} {
		cs = append(cs, Contender{Name: "poold-" + m, Label: "poold " + m, start: startPoold(m)})
	}
	return append(cs, Contender{Name: "bare", Label: "bare launcher (shared fd)", start: startBare})
}

// Start starts c on addr; bus asks poold for a control bus (for poolctl).
func (c Contender) Start(e *Env, addr string, bus bool) (*Instance, error) {
	return c.start(e, addr, bus)
}

// spawn starts argv in dir, in a process group of its own, pinned to the
// server CPUs, with the environment cleaned of socket activation.
func (e *Env) spawn(name, dir string, env []string, argv ...string) (*Instance, error) {
	if e.ServerCPUs != "" {
		argv = append([]string{"taskset", "-c", e.ServerCPUs}, argv...)
	}
	logf, err := os.Create(filepath.Join(e.Tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	in := &Instance{Name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(in.done) }()
	in.stop = func() { in.terminate(15 * time.Second) }
	return in, nil
}

// terminate sends SIGTERM to the started process, then SIGKILL to its
// process group if it has not exited after grace.
func (in *Instance) terminate(grace time.Duration) {
	pid := in.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(grace):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-in.done
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // leftovers in its group
}

func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "LISTEN_"), k == "NOTIFY_SOCKET", k == "PORT",
			strings.HasPrefix(k, "PM2_"), strings.HasPrefix(k, "NODE_"), k == "WEB_CONCURRENCY",
			strings.HasPrefix(k, "POOLD_"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

func port(addr string) string {
	_, p, _ := strings.Cut(addr, ":")
	return p
}

func startSingle(e *Env, addr string, _ bool) (*Instance, error) {
	in, err := e.spawn("single", e.express(), []string{"PORT=" + port(addr)}, "node", "server.js")
	if err != nil {
		return nil, err
	}
	pid := in.cmd.Process.Pid // taskset, if any, execs node in place
	in.workers = func() []int { return []int{pid} }
	return in, nil
}

func startCluster(policy string) func(e *Env, addr string, _ bool) (*Instance, error) {
	return func(e *Env, addr string, _ bool) (*Instance, error) {
		env := []string{"PORT=" + port(addr), "WORKERS=" + strconv.Itoa(e.Workers), "NODE_CLUSTER_SCHED_POLICY=" + policy}
		in, err := e.spawn("cluster-"+policy, e.Root, env, "node", filepath.Join("bench", "cluster.js"))
		if err != nil {
			return nil, err
		}
		in.SupPID = in.cmd.Process.Pid
		in.workers = func() []int { return children(in.SupPID) }
		in.reload = func(context.Context) error { return syscall.Kill(in.SupPID, syscall.SIGUSR2) }
		return in, nil
	}
}

func startPoold(mode string) func(e *Env, addr string, bus bool) (*Instance, error) {
	return func(e *Env, addr string, bus bool) (*Instance, error) {
		return e.startPoold("poold-"+mode, "bench-"+mode, e.express(), addr, bus,
			[]string{"--distribution", mode}, "node", "server.js")
	}
}

// UnmodifiedApp is the drain experiment's app, in bench/: the bench's
// Express app started the way docs/nodejs.md's guide starts an unmodified
// one, app.listen(PORT), without a SIGTERM handler.
const UnmodifiedApp = "unmodified.js"

// Unmodified is the drain experiment's contender: UnmodifiedApp under poold
// in mode, with its private bus (for poolctl reload and scale), and the
// Node.js preload's drain on SIGTERM on (poold's default) or off
// (--node-drain off: the preload still gives listen() the pool's socket).
func Unmodified(mode string, drain bool) Contender {
	name, label, pool := "poold-unmodified", "poold "+mode+", unmodified app, drain on", "bench-unmodified"
	extra := []string{"--distribution", mode}
	if !drain {
		name, label, pool = name+"-nodrain", "poold "+mode+", unmodified app, drain off", pool+"-nodrain"
		extra = append(extra, "--node-drain", "off")
	}
	return Contender{Name: name, Label: label, start: func(e *Env, addr string, bus bool) (*Instance, error) {
		return e.startPoold(name, pool, filepath.Join(e.Root, "bench"), addr, bus, extra, "node", UnmodifiedApp)
	}}
}

// startPoold starts bin/poold as pool pool (its --name) on addr, in dir,
// with extra flags and the worker command; with bus, on its private bus,
// reloaded and scaled with bin/poolctl.
func (e *Env) startPoold(name, pool, dir, addr string, bus bool, extra []string, command ...string) (*Instance, error) {
	busMode := "none"
	if bus {
		busMode = "auto"
	}
	argv := []string{filepath.Join(e.Root, "bin", "poold"), "--bus", busMode, "--name", pool, "--listen", addr,
		"--workers", strconv.Itoa(e.Workers)}
	argv = append(append(append(argv, extra...), "--"), command...)
	in, err := e.spawn(name, dir, nil, argv...)
	if err != nil {
		return nil, err
	}
	in.SupPID = in.cmd.Process.Pid
	in.workers = func() []int { return children(in.SupPID, "dbus-daemon") }
	if bus {
		poolctl := func(ctx context.Context, args ...string) error {
			out, err := exec.CommandContext(ctx, filepath.Join(e.Root, "bin", "poolctl"), args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("poolctl %s: %v: %s", strings.Join(args, " "), err, out)
			}
			return nil
		}
		in.reload = func(ctx context.Context) error { return poolctl(ctx, "reload", pool) }
		in.scale = func(ctx context.Context, n int) error { return poolctl(ctx, "scale", pool, strconv.Itoa(n)) }
	}
	return in, nil
}

func startBare(e *Env, addr string, _ bool) (*Instance, error) {
	in, err := e.spawn("bare", e.express(), nil, e.Bare, "-listen", addr,
		"-workers", strconv.Itoa(e.Workers), "--", "node", "server.js")
	if err != nil {
		return nil, err
	}
	in.SupPID = in.cmd.Process.Pid
	in.workers = func() []int { return children(in.SupPID) }
	return in, nil
}

// PM2: installed in bench/node_modules, its home in a fresh temporary
// directory, the app declared in a JSON file there; PM2_KILL_SIGNAL=SIGTERM
// so that its reload stops old workers the way the app expects (server.js
// stops gracefully on SIGTERM, PM2's default is SIGINT).
func startPM2(e *Env, addr string, _ bool) (*Instance, error) {
	home, err := os.MkdirTemp(e.Tmp, "pm2-home-")
	if err != nil {
		return nil, err
	}
	app := map[string]any{"apps": []map[string]any{{
		"name": "bench", "script": "server.js", "cwd": e.express(),
		"instances": e.Workers, "exec_mode": "cluster",
		"env": map[string]string{"PORT": port(addr)},
	}}}
	b, _ := json.Marshal(app)
	eco := filepath.Join(home, "bench.config.json")
	if err := os.WriteFile(eco, b, 0o644); err != nil {
		return nil, err
	}
	env := append(baseEnv(), "PM2_HOME="+home, "PM2_KILL_SIGNAL=SIGTERM")
	cli := filepath.Join(e.Root, "bench", "node_modules", "pm2", "bin", "pm2")
	pm2 := func(ctx context.Context, args ...string) error {
		argv := append([]string{"node", cli}, args...)
		if e.ServerCPUs != "" {
			argv = append([]string{"taskset", "-c", e.ServerCPUs}, argv...)
		}
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env, cmd.Dir = env, e.express()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pm2 %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in := &Instance{Name: "pm2"}
	startErr := pm2(ctx, "start", eco)
	if b, err := os.ReadFile(filepath.Join(home, "pm2.pid")); err == nil {
		in.SupPID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	in.workers = func() []int { return children(in.SupPID) }
	in.reload = func(ctx context.Context) error { return pm2(ctx, "reload", "bench") }
	in.stop = func() {
		ws := in.workers()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pm2(ctx, "kill"); err != nil {
			e.Log("%v", err)
		}
		for _, pid := range append(ws, in.SupPID) {
			waitGone(pid, 10*time.Second)
		}
	}
	if startErr != nil || in.SupPID == 0 {
		in.stop()
		return nil, fmt.Errorf("pm2 start: %v (daemon pid %d)", startErr, in.SupPID)
	}
	return in, nil
}

// waitGone waits for pid to exit, then SIGKILLs it.
func waitGone(pid int, d time.Duration) {
	if pid <= 0 {
		return
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if st, err := readStat(pid); err == nil && st.PPID == 1 && isZombieP(pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func isZombieP(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && isZombie(string(b))
}
