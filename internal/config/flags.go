package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/cgroup"
	"github.com/poold/poold/internal/distribute"
	"github.com/poold/poold/internal/supervisor"
)

// ErrHelp is returned by Parse for -h and --help.
var ErrHelp = flag.ErrHelp

// Parse reads poold's arguments (without the program name) and the
// environment through getenv. The worker command follows "--".
func Parse(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	c := Config{Ready: supervisor.ReadyAuto}
	fs := flag.NewFlagSet("poold", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	fs.Usage = func() {}
	var listen listFlag
	var workers, memory, ready, level, bus, distribution string
	fs.StringVar(&c.Name, "name", "", "pool name (default: the systemd unit's, else the worker script's)")
	fs.Var(&listen, "listen", "bind `[NAME=]ADDR` when not socket-activated: HOST:PORT, [IPV6]:PORT, :PORT, unix:/PATH (repeatable)")
	fs.StringVar(&distribution, "distribution", distribute.Shared.String(), "how connections reach the workers: shared (one socket all workers wait on), balanced (each worker slot gets SO_REUSEPORT sockets of its own, connections spread evenly over the slots with a ready worker) or sticky (like balanced, and a client address keeps its slot); balanced and sticky apply to TCP sockets, unix sockets stay shared")
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
	c.Listen = listen.specs
	c.Command = fs.Args()
	var errs []error
	errs = append(errs, listen.errs...)
	var err error
	if c.Workers, err = ParseWorkerCount(workers, getenv); err != nil {
		errs = append(errs, err)
	}
	if memory != "" {
		if c.WorkerMemory, err = cgroup.ParseSize(memory); err != nil {
			errs = append(errs, fmt.Errorf("--worker-memory: %w", err))
		}
	}
	if c.Ready, err = supervisor.ParseReadyMode(ready); err != nil {
		errs = append(errs, fmt.Errorf("--ready: %w", err))
	}
	if c.Distribution, err = distribute.ParseMode(distribution); err != nil {
		errs = append(errs, fmt.Errorf("--distribution: %w", err))
	}
	if c.Bus, err = dbusapi.ParseBusMode(bus); err != nil {
		errs = append(errs, fmt.Errorf("--bus: %w", err))
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", level))
	}
	if c.Version {
		return c, nil // nothing else matters
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

func (c Config) validate() []error {
	var errs []error
	if len(c.Command) == 0 {
		errs = append(errs, errors.New("no worker command: put it after --, e.g. poold --listen :3000 -- node server.js"))
	}
	if c.MaxWorkers < 1 {
		errs = append(errs, fmt.Errorf("--max-workers %d: want at least 1", c.MaxWorkers))
	}
	if !c.Workers.Auto && c.Workers.N > c.MaxWorkers && c.MaxWorkers >= 1 {
		errs = append(errs, fmt.Errorf("%s=%d is above --max-workers %d: lower it or raise --max-workers", c.Workers.From, c.Workers.N, c.MaxWorkers))
	}
	if !c.Workers.Auto && c.MinReady > c.Workers.N {
		errs = append(errs, fmt.Errorf("--min-ready %d is above the worker count %d", c.MinReady, c.Workers.N))
	}
	if c.MinReady < 0 {
		errs = append(errs, fmt.Errorf("--min-ready %d: want 0 (all) or more", c.MinReady))
	}
	if c.MaxUnavailable < 0 {
		errs = append(errs, fmt.Errorf("--max-unavailable %d: want 0 or more", c.MaxUnavailable))
	}
	if !c.Workers.Auto && c.MaxUnavailable > 0 && c.MaxUnavailable >= c.Workers.N {
		errs = append(errs, fmt.Errorf("--max-unavailable %d is not below the worker count %d: one worker must stay ready during a reload", c.MaxUnavailable, c.Workers.N))
	}
	if c.Name != "" && !validName(c.Name) {
		errs = append(errs, fmt.Errorf("--name %q: use letters, digits, '_', '-' and '.' (at most 64)", c.Name))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--ready-timeout", c.ReadyTimeout}, {"--stop-timeout", c.StopTimeout}, {"--ready-delay", c.ReadyDelay},
		{"--restart-delay", c.Backoff.Initial}, {"--restart-delay-max", c.Backoff.Max}, {"--stable-after", c.Backoff.StableAfter},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s %v: want a positive duration such as 500ms or 30s", d.flag, d.v))
		}
	}
	if c.Backoff.Max < c.Backoff.Initial {
		errs = append(errs, fmt.Errorf("--restart-delay-max %v is below --restart-delay %v", c.Backoff.Max, c.Backoff.Initial))
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

// listFlag collects repeated --listen values.
type listFlag struct {
	specs []activation.ListenSpec
	errs  []error
}

func (l *listFlag) String() string { return "" }

func (l *listFlag) Set(s string) error {
	spec, err := activation.ParseListen(s)
	if err != nil {
		l.errs = append(l.errs, err) // reported with the rest, not one at a time
		return nil
	}
	l.specs = append(l.specs, spec)
	return nil
}
