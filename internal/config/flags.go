package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/poold/poold/internal/bytesize"
	"github.com/poold/poold/internal/listenspec"
	"github.com/poold/poold/internal/mode"
)

// ErrHelp is returned by Parse for -h and --help.
var ErrHelp = flag.ErrHelp

// Parse reads poold's arguments (without the program name), the config
// file that --config names, and the environment through getenv. The worker
// command follows "--".
func Parse(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	return parse(args, getenv, usage, ReadFile)
}

// CheckFile reports the problems poold would find in a config file holding
// data, started as "poold --config file" with an empty environment.
func CheckFile(file string, data []byte) error {
	_, err := parse([]string{"--" + configFlag, file}, func(string) string { return "" }, io.Discard,
		func(path string) ([]byte, error) {
			if path != file {
				return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist) // an env file it names
			}
			return data, nil
		})
	return err
}

func parse(args []string, getenv func(string) string, usage io.Writer, readFile func(string) ([]byte, error)) (Config, error) {
	c := Config{Ready: mode.ReadyAuto, UpgradeOnInstall: true}
	fs := flag.NewFlagSet("poold", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	fs.Usage = func() {}
	var listen listFlag
	var envFiles envFileFlag
	var recycleMemory, workerMemoryMax, workerCgroups string
	var workers, memory, ready, level, bus, distribution, nodePreload, nodeDrain, metricsListen, configFile string
	var workerLogs string
	fs.StringVar(&configFile, configFlag, "", "read flags from `FILE`: KEY = VALUE lines, KEY a long flag name or command (the worker command); flags and a command on the command line win over it")
	fs.StringVar(&c.Name, "name", "", "pool name, as poolctl addresses it: poold refuses to start beside a running pool of the same name (default: the systemd unit's, else the worker script's)")
	fs.Var(&listen, "listen", "bind `[NAME=]ADDR` when not socket-activated: HOST:PORT, [IPV6]:PORT, :PORT, unix:/PATH (repeatable)")
	fs.StringVar(&distribution, "distribution", mode.Shared.String(), "how connections reach the workers: shared (one socket all workers wait on), balanced (each worker slot gets SO_REUSEPORT sockets of its own, connections spread evenly over the slots with a ready worker) or sticky (like balanced, and a client address keeps its slot); balanced and sticky apply to TCP sockets, unix sockets stay shared")
	fs.StringVar(&nodePreload, "node-preload", "", "auto: node workers get poold's preload in NODE_OPTIONS (their listen(PORT) serves the pool's sockets, graceful drain on SIGTERM); off: NODE_OPTIONS left alone (default: $POOLD_NODE_PRELOAD, else auto)")
	fs.StringVar(&nodeDrain, "node-drain", "", "on: the preload drains a node worker on SIGTERM (Connection: close, idle connections closed, exit once they are gone); off: SIGTERM is Node's or the app's (default: $POOLD_NODE_DRAIN, else on)")
	fs.StringVar(&workers, "workers", "", "worker count `N` or auto (default: $POOLD_WORKERS, $WEB_CONCURRENCY, else auto from the cgroup's CPU and memory limits)")
	fs.IntVar(&c.MaxWorkers, "max-workers", DefaultMaxWorkers, "upper bound for the worker count")
	fs.StringVar(&memory, "worker-memory", "", "memory one worker needs (`SIZE`, e.g. 512M): auto sizing divides the cgroup's memory limit by it")
	fs.IntVar(&c.MinReady, "min-ready", 0, "ready workers needed before poold reports READY=1 to systemd (default: all)")
	fs.IntVar(&c.MaxUnavailable, "max-unavailable", 0, "workers a reload may stop at once, each before its replacement starts (for hosts without memory for an extra worker); 0 starts each new worker beside the old one; must be below the worker count")
	fs.StringVar(&ready, "ready", "auto", "what makes a worker ready: notify (READY=1), listening (seen waiting on a pool socket), delay, or auto (notify or listening)")
	fs.DurationVar(&c.ReadyDelay, "ready-delay", DefaultReadyDelay, "with --ready=delay: time after start at which a worker counts as ready")
	fs.DurationVar(&c.ReadyTimeout, "ready-timeout", DefaultReadyTimeout, "a worker not ready after this is killed and replaced")
	fs.DurationVar(&c.StopTimeout, "stop-timeout", DefaultStopTimeout, "time a worker gets to exit after SIGTERM before SIGKILL")
	fs.DurationVar(&c.Backoff.Initial, "restart-delay", DefaultBackoffMin, "delay before restarting a crashed worker; doubles with each failure in a row")
	fs.DurationVar(&c.Backoff.Max, "restart-delay-max", DefaultBackoffMax, "upper bound of the restart delay")
	fs.DurationVar(&c.Backoff.StableAfter, "stable-after", DefaultStableAfter, "a worker ready this long resets its slot's restart delay")
	fs.DurationVar(&c.Health.Watchdog, "worker-watchdog", 0, "recycle a ready worker that sends no heartbeat (WATCHDOG=1, or metrics on its channel) for this long once its first one armed it, and kill it 5s after its SIGTERM; at least 1ms; workers get it as WATCHDOG_USEC (default: 0, off)")
	fs.StringVar(&recycleMemory, "recycle-memory", "", "recycle a worker whose memory stays above `SIZE` (e.g. 512M) for --recycle-memory-for: its replacement starts first; a worker in a cgroup of its own also gets it as memory.high, above which the kernel throttles it (default: off)")
	fs.StringVar(&workerMemoryMax, "worker-memory-max", "", "hard memory limit of each worker (`SIZE`, e.g. 1G): its cgroup's memory.max, above which the kernel's OOM killer kills the worker's process tree; needs per-worker cgroups with the memory controller (default: none)")
	fs.StringVar(&workerCgroups, "worker-cgroups", mode.CgroupsAuto.String(), "each worker in a cgroup of its own below poold's, its whole process tree killed with it: auto (when systemd delegated poold's cgroup, Delegate=yes), on (also a cgroup not delegated; poold refuses to start without) or off")
	fs.DurationVar(&c.Health.MemoryFor, "recycle-memory-for", DefaultBreachFor, "how long memory must stay above --recycle-memory before the worker is recycled")
	fs.DurationVar(&c.Health.LoopDelay, "recycle-loop-delay", 0, "recycle a worker whose reported event-loop delay (99th percentile) stays above this for --recycle-loop-delay-for (default: 0, off)")
	fs.DurationVar(&c.Health.LoopDelayFor, "recycle-loop-delay-for", DefaultBreachFor, "how long the event-loop delay must stay above --recycle-loop-delay")
	fs.Uint64Var(&c.Health.Requests, "recycle-requests", 0, "recycle a worker after it reports `N` requests handled, plus up to 10% jitter (default: off)")
	fs.DurationVar(&c.Health.Age, "recycle-age", 0, "recycle a worker once it has run this long, plus up to 10% jitter (default: 0, off)")
	fs.StringVar(&c.RuntimeDir, "runtime-dir", "", "keep the runtime directory (the workers' notify sockets, a private bus) in `DIR`, which must be poold's user's and writable by no one else; created if missing (default: $POOLD_RUNTIME_BASE, else systemd's RuntimeDirectory=, /run/poold for root, $XDG_RUNTIME_DIR/poold, $TMPDIR/poold-UID)")
	fs.Var(&envFiles, "env-file", "read the workers' environment from `[-]FILE` (KEY=VALUE lines, systemd's EnvironmentFile= rules) on top of poold's own, the file winning; at start and at every reload; -FILE: a missing file is fine (repeatable, a later file winning)")
	fs.StringVar(&c.WorkerConfig, "worker-config", "", "JSON `FILE` sent to every worker on its stream channel at start; read again and pushed to the running workers at every reload")
	fs.StringVar(&bus, "bus", mode.BusAuto, "D-Bus for the control plane (poolctl): auto, system, session, private (a dbus-daemon of poold's own) or none")
	fs.StringVar(&metricsListen, "metrics-listen", "", "serve Prometheus metrics on GET /metrics at `ADDR`: HOST:PORT, [IPV6]:PORT, :PORT or unix:/PATH (default: off)")
	fs.Var(switchFlag{&c.UpgradeOnInstall}, "upgrade-on-install", "true: when a package upgrade installs a new poold, its scripts upgrade this pool in place (poolctl upgrade --all --on-install): same PID, sockets and workers; false: the pool keeps its poold until it is restarted")
	fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&workerLogs, "worker-logs", mode.LogsAuto.String(), "where the workers' stdout and stderr go: journal (an entry per line, with POOLD_POOL, POOLD_SLOT, POOLD_PID... fields), prefix (poold's stdout and stderr, each line after [POOL SLOT PID]), inherit (poold's stdout and stderr, written by the workers themselves) or auto (journal when poold's stderr is the journal, else prefix)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			printUsage(fs, usage)
			return Config{}, err
		}
		return Config{}, unknownFlag(fs, err)
	}
	c.Command = fs.Args()
	if c.Version {
		configFile = "" // nothing else matters
	}
	src := sources{file: configFile, line: map[string]int{}}
	var errs []error
	if configFile != "" {
		command, ferrs := readConfig(fs, &src, &listen, len(c.Command) > 0, readFile)
		if len(c.Command) == 0 {
			c.Command = command
		}
		errs = append(errs, ferrs...)
	}
	c.Listen = listen.specs
	errs = append(errs, listen.errs...)
	c.EnvFiles = envFiles.files
	errs = append(errs, envFiles.errs...)
	if !c.Version {
		var eerrs []error
		c.Env, eerrs = readEnvFiles(c.EnvFiles, readFile)
		errs = append(errs, eerrs...)
		getenv = lookupFirst(c.Env, getenv) // poold's own settings in the env file count, as when systemd read it
	}
	var err error
	if c.Workers, err = ParseWorkerCount(workers, getenv); err != nil {
		errs = append(errs, src.wrap("workers", err))
	}
	if memory != "" {
		if c.WorkerMemory, err = bytesize.Parse(memory); err != nil {
			errs = append(errs, src.wrap("worker-memory", fmt.Errorf("--worker-memory: %w", err)))
		}
	}
	if recycleMemory != "" {
		mem, err := bytesize.Parse(recycleMemory)
		if err != nil {
			errs = append(errs, src.wrap("recycle-memory", fmt.Errorf("--recycle-memory: %w", err)))
		}
		c.Health.Memory = uint64(mem)
	}
	if workerMemoryMax != "" {
		if c.WorkerMemoryMax, err = bytesize.Parse(workerMemoryMax); err != nil {
			errs = append(errs, src.wrap("worker-memory-max", fmt.Errorf("--worker-memory-max: %w", err)))
		}
	}
	if c.WorkerCgroups, err = mode.ParseCgroups(workerCgroups); err != nil {
		errs = append(errs, src.wrap("worker-cgroups", fmt.Errorf("--worker-cgroups: %w", err)))
	}
	if c.Ready, err = mode.ParseReady(ready); err != nil {
		errs = append(errs, src.wrap("ready", fmt.Errorf("--ready: %w", err)))
	}
	if c.Distribution, err = mode.ParseDistribution(distribution); err != nil {
		errs = append(errs, src.wrap("distribution", fmt.Errorf("--distribution: %w", err)))
	}
	if c.NodePreload, err = parseNodePreload(nodePreload, getenv); err != nil {
		errs = append(errs, src.wrap("node-preload", err))
	}
	if c.NodeDrain, err = parseNodeDrain(nodeDrain, getenv); err != nil {
		errs = append(errs, src.wrap("node-drain", err))
	}
	if c.MetricsListen, err = parseMetricsListen(metricsListen); err != nil {
		errs = append(errs, src.wrap("metrics-listen", err))
	}
	if c.WorkerLogs, err = mode.ParseWorkerLogs(workerLogs); err != nil {
		errs = append(errs, src.wrap("worker-logs", fmt.Errorf("--worker-logs: %w", err)))
	}
	if c.Bus, err = mode.ParseBus(bus); err != nil {
		errs = append(errs, src.wrap("bus", fmt.Errorf("--bus: %w", err)))
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, src.wrap("log-level", fmt.Errorf("--log-level %q: want debug, info, warn or error", level)))
	}
	if c.Version {
		return c, nil // nothing else matters
	}
	errs = append(errs, c.validate(src)...)
	if _, inFile := src.line["workers"]; inFile && len(errs) == 0 {
		c.Workers.From = src.file // "4 workers from /etc/poold/myapp.conf"
	}
	return c, errors.Join(byLine(errs)...)
}

// readConfig reads the config file src names into fs (see applyFile). A
// file that cannot be read is marked unread in src.
func readConfig(fs *flag.FlagSet, src *sources, listen *listFlag, haveCommand bool, readFile func(string) ([]byte, error)) ([]string, []error) {
	data, err := readFile(src.file)
	if err != nil {
		src.unread = true
		return nil, []error{fmt.Errorf("--config: %w", err)}
	}
	entries, errs := parseEntries(src.file, data)
	command, aerrs := applyFile(fs, *src, entries, listen, haveCommand)
	return command, append(errs, aerrs...)
}

func (c Config) validate(src sources) []error {
	var errs []error
	add := func(key string, err error) { errs = append(errs, src.wrap(key, err)) }
	if len(c.Command) == 0 && !src.unread { // an unread file's error says enough
		if src.file != "" {
			add(commandKey, fmt.Errorf("no worker command: put it after -- or in %s as command = COMMAND [ARGS...]", src.file))
		} else {
			add(commandKey, errors.New("no worker command: put it after --, e.g. poold --listen :3000 -- node server.js"))
		}
	}
	if c.MaxWorkers < 1 {
		add("max-workers", fmt.Errorf("--max-workers %d: want at least 1", c.MaxWorkers))
	}
	if !c.Workers.Auto && c.Workers.N > c.MaxWorkers && c.MaxWorkers >= 1 {
		add("workers", fmt.Errorf("%s=%d is above --max-workers %d: lower it or raise --max-workers", c.Workers.From, c.Workers.N, c.MaxWorkers))
	}
	if !c.Workers.Auto && c.MinReady > c.Workers.N {
		add("min-ready", fmt.Errorf("--min-ready %d is above the worker count %d", c.MinReady, c.Workers.N))
	}
	if c.MinReady < 0 {
		add("min-ready", fmt.Errorf("--min-ready %d: want 0 (all) or more", c.MinReady))
	}
	if c.MaxUnavailable < 0 {
		add("max-unavailable", fmt.Errorf("--max-unavailable %d: want 0 or more", c.MaxUnavailable))
	}
	if !c.Workers.Auto && c.MaxUnavailable > 0 && c.MaxUnavailable >= c.Workers.N {
		add("max-unavailable", fmt.Errorf("--max-unavailable %d is not below the worker count %d: one worker must stay ready during a reload", c.MaxUnavailable, c.Workers.N))
	}
	if c.Name != "" && !ValidName(c.Name) {
		add("name", fmt.Errorf("--name %q: %s", c.Name, NameRule))
	}
	errs = append(errs, c.checkDurations(src)...)
	if c.Backoff.Max < c.Backoff.Initial {
		add("restart-delay-max", fmt.Errorf("--restart-delay-max %v is below --restart-delay %v", c.Backoff.Max, c.Backoff.Initial))
	}
	if c.WorkerMemoryMax > 0 && c.WorkerCgroups == mode.CgroupsOff {
		add("worker-memory-max", errors.New("--worker-memory-max needs per-worker cgroups, which --worker-cgroups=off turns off"))
	}
	if c.WorkerMemoryMax > 0 && c.Health.Memory >= uint64(c.WorkerMemoryMax) {
		add("recycle-memory", fmt.Errorf("--recycle-memory %s is not below --worker-memory-max %s: the kernel would kill a worker before poold recycles it",
			bytesize.Format(int64(c.Health.Memory)), bytesize.Format(c.WorkerMemoryMax)))
	}
	return errs
}

// ParseWorkerCount reads --workers, else POOLD_WORKERS, else WEB_CONCURRENCY.
func ParseWorkerCount(flagValue string, getenv func(string) string) (WorkerCount, error) {
	wc := WorkerCount{From: "--workers", Input: flagValue}
	for _, env := range []string{"POOLD_WORKERS", "WEB_CONCURRENCY"} {
		if wc.Input != "" {
			break
		}
		wc.From, wc.Input = env, getenv(env)
	}
	if wc.Input == "" || wc.Input == "auto" {
		if wc.Input == "" {
			wc.From = "default"
		}
		wc.Auto = true
		return wc, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(wc.Input))
	if err != nil || n < 1 {
		return wc, fmt.Errorf("%s=%q: want a whole number of workers (1 or more) or auto", wc.From, wc.Input)
	}
	wc.N = n
	return wc, nil
}

// parseNodePreload reads --node-preload, else POOLD_NODE_PRELOAD, else auto.
func parseNodePreload(flagValue string, getenv func(string) string) (mode.NodePreload, error) {
	from, value := flagOrEnv("node-preload", flagValue, "POOLD_NODE_PRELOAD", getenv)
	if value == "" {
		return mode.NodePreloadAuto, nil
	}
	m, err := mode.ParseNodePreload(value)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", from, err)
	}
	return m, nil
}

// parseNodeDrain reads --node-drain, else POOLD_NODE_DRAIN, else on.
func parseNodeDrain(flagValue string, getenv func(string) string) (bool, error) {
	from, value := flagOrEnv("node-drain", flagValue, "POOLD_NODE_DRAIN", getenv)
	switch value {
	case "", "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: node-drain %q: want on or off", from, value)
}

// flagOrEnv is a flag's value, else the environment variable's, and which
// of the two it is, for errors.
func flagOrEnv(flag, flagValue, env string, getenv func(string) string) (from, value string) {
	if flagValue != "" {
		return "--" + flag, flagValue
	}
	return env, getenv(env)
}

// lookupFirst looks a variable up in env, then through getenv.
func lookupFirst(env []string, getenv func(string) string) func(string) string {
	return func(key string) string {
		for _, kv := range slices.Backward(env) {
			if v, ok := strings.CutPrefix(kv, key+"="); ok {
				return v
			}
		}
		return getenv(key)
	}
}

// envFileFlag collects repeated --env-file values.
type envFileFlag struct {
	files []EnvFile
	errs  []error
	at    func(error) error // places an error on the config file's line being read
}

func (f *envFileFlag) String() string { return "" }

func (f *envFileFlag) Set(s string) error {
	ef, err := ParseEnvFileArg(s)
	if err != nil {
		if f.at != nil {
			err = f.at(err)
		}
		f.errs = append(f.errs, err)
		return nil
	}
	f.files = append(f.files, ef)
	return nil
}

// listFlag collects repeated --listen values.
type listFlag struct {
	specs []listenspec.Spec
	errs  []error
	at    func(error) error // places an error on the config file's line being read
}

func (l *listFlag) String() string { return "" }

func (l *listFlag) Set(s string) error {
	spec, err := listenspec.Parse(s)
	if err != nil {
		if l.at != nil {
			err = l.at(err)
		}
		l.errs = append(l.errs, err) // reported with the rest, not one at a time
		return nil
	}
	l.specs = append(l.specs, spec)
	return nil
}
