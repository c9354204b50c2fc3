package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/nodejs"
	"github.com/poold/poold/internal/supervisor"
)

// ErrHelp is returned by Parse for -h and --help.
var ErrHelp = flag.ErrHelp

// Parse reads poold's arguments (without the program name), the config
// file that --config names, and the environment through getenv. The worker
// command follows "--".
func Parse(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	return parse(args, getenv, usage, os.ReadFile)
}

// CheckFile reports the problems poold would find in a config file holding
// data, started as "poold --config file" with an empty environment.
func CheckFile(file string, data []byte) error {
	_, err := parse([]string{"--" + configFlag, file}, func(string) string { return "" }, io.Discard,
		func(string) ([]byte, error) { return data, nil })
	return err
}

func parse(args []string, getenv func(string) string, usage io.Writer, readFile func(string) ([]byte, error)) (Config, error) {
	c := Config{Ready: supervisor.ReadyAuto}
	fs := flag.NewFlagSet("poold", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	fs.Usage = func() {}
	var listen listFlag
	var workers, memory, ready, level, bus, distribution, nodePreload, configFile string
	fs.StringVar(&configFile, configFlag, "", "read flags from `FILE`: KEY = VALUE lines, KEY a long flag name or command (the worker command); flags and a command on the command line win over it")
	fs.StringVar(&c.Name, "name", "", "pool name (default: the systemd unit's, else the worker script's)")
	fs.Var(&listen, "listen", "bind `[NAME=]ADDR` when not socket-activated: HOST:PORT, [IPV6]:PORT, :PORT, unix:/PATH (repeatable)")
	fs.StringVar(&distribution, "distribution", distribute.Shared.String(), "how connections reach the workers: shared (one socket all workers wait on), balanced (each worker slot gets SO_REUSEPORT sockets of its own, connections spread evenly over the slots with a ready worker) or sticky (like balanced, and a client address keeps its slot); balanced and sticky apply to TCP sockets, unix sockets stay shared")
	fs.StringVar(&nodePreload, "node-preload", "", "auto: node workers get poold's preload in NODE_OPTIONS (their listen(PORT) serves the pool's sockets, graceful drain on SIGTERM); off: NODE_OPTIONS left alone (default: $POOLD_NODE_PRELOAD, else auto)")
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
	fs.StringVar(&c.WorkerConfig, "worker-config", "", "JSON `FILE` sent to every worker on its stream channel at start; read again and pushed to the running workers at every reload")
	fs.StringVar(&bus, "bus", dbusapi.BusModeAuto, "D-Bus for the control plane (poolctl): auto, system, session, private (a dbus-daemon of poold's own) or none")
	fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			printUsage(fs, usage)
		}
		return Config{}, err
	}
	c.Command = fs.Args()
	if c.Version {
		configFile = "" // nothing else matters
	}
	src := sources{file: configFile, line: map[string]int{}}
	var errs []error
	if configFile != "" {
		command, ferrs := readConfig(fs, src, &listen, len(c.Command) > 0, readFile)
		if len(c.Command) == 0 {
			c.Command = command
		}
		errs = append(errs, ferrs...)
	}
	c.Listen = listen.specs
	errs = append(errs, listen.errs...)
	var err error
	if c.Workers, err = ParseWorkerCount(workers, getenv); err != nil {
		errs = append(errs, src.wrap("workers", err))
	}
	if memory != "" {
		if c.WorkerMemory, err = cgroup.ParseSize(memory); err != nil {
			errs = append(errs, src.wrap("worker-memory", fmt.Errorf("--worker-memory: %w", err)))
		}
	}
	if c.Ready, err = supervisor.ParseReadyMode(ready); err != nil {
		errs = append(errs, src.wrap("ready", fmt.Errorf("--ready: %w", err)))
	}
	if c.Distribution, err = distribute.ParseMode(distribution); err != nil {
		errs = append(errs, src.wrap("distribution", fmt.Errorf("--distribution: %w", err)))
	}
	if c.NodePreload, err = parseNodePreload(nodePreload, getenv); err != nil {
		errs = append(errs, src.wrap("node-preload", err))
	}
	if c.Bus, err = dbusapi.ParseBusMode(bus); err != nil {
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
	return c, errors.Join(errs...)
}

// readConfig reads the config file src names into fs (see applyFile).
func readConfig(fs *flag.FlagSet, src sources, listen *listFlag, haveCommand bool, readFile func(string) ([]byte, error)) ([]string, []error) {
	data, err := readFile(src.file)
	if err != nil {
		return nil, []error{fmt.Errorf("--config: %w", err)}
	}
	entries, errs := parseEntries(src.file, data)
	command, aerrs := applyFile(fs, src, entries, listen, haveCommand)
	return command, append(errs, aerrs...)
}

func (c Config) validate(src sources) []error {
	var errs []error
	add := func(key string, err error) { errs = append(errs, src.wrap(key, err)) }
	if len(c.Command) == 0 {
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
		add("name", fmt.Errorf("--name %q: use letters, digits, '_', '-' and '.' (at most 64)", c.Name))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"ready-timeout", c.ReadyTimeout}, {"stop-timeout", c.StopTimeout}, {"ready-delay", c.ReadyDelay},
		{"restart-delay", c.Backoff.Initial}, {"restart-delay-max", c.Backoff.Max}, {"stable-after", c.Backoff.StableAfter},
	} {
		if d.v <= 0 {
			add(d.flag, fmt.Errorf("--%s %v: want a positive duration such as 500ms or 30s", d.flag, d.v))
		}
	}
	if c.Backoff.Max < c.Backoff.Initial {
		add("restart-delay-max", fmt.Errorf("--restart-delay-max %v is below --restart-delay %v", c.Backoff.Max, c.Backoff.Initial))
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
func parseNodePreload(flagValue string, getenv func(string) string) (nodejs.Mode, error) {
	from, value := "--node-preload", flagValue
	if value == "" {
		from, value = "POOLD_NODE_PRELOAD", getenv("POOLD_NODE_PRELOAD")
	}
	if value == "" {
		return nodejs.Auto, nil
	}
	m, err := nodejs.ParseMode(value)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", from, err)
	}
	return m, nil
}

// listFlag collects repeated --listen values.
type listFlag struct {
	specs []activation.ListenSpec
	errs  []error
	at    string // FILE:LINE of the value being set, from a config file
}

func (l *listFlag) String() string { return "" }

func (l *listFlag) Set(s string) error {
	spec, err := activation.ParseListen(s)
	if err != nil {
		if l.at != "" {
			err = fmt.Errorf("%s: %w", l.at, err)
		}
		l.errs = append(l.errs, err) // reported with the rest, not one at a time
		return nil
	}
	l.specs = append(l.specs, spec)
	return nil
}
