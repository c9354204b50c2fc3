// Command poold runs a socket-activated pool of worker processes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"go.uber.org/dig"
	"go.uber.org/fx"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/proc"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/supervisor"
)

// Exit codes: 0 after a clean drain, 1 when poold could not start or stop
// cleanly, 2 for a usage error.
const (
	exitFailure = 1
	exitUsage   = 2
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

// The main goroutine stays on the main thread, which forks every worker
// and execs an upgrade (proc.ServeForks).
func init() { runtime.LockOSThread() }

func main() {
	proc.MaybeRunTrampoline() // never returns when this process is a worker trampoline
	proc.ServeForks(func() { os.Exit(run(os.Args[1:])) })
}

func run(args []string) int {
	catchSIGPIPE()
	// Caught from the start: a signal during start-up, or right after the
	// exec of an upgrade, must not kill poold with its workers orphaned.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR2)
	defer signal.Stop(signals)
	tk := readTakeover()                                 // hands back at once a state it cannot read
	cfg, err := config.Parse(args, os.Getenv, os.Stdout) // --help, as asked for, is output
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err == nil && cfg.Version:
		fmt.Println("poold", version)
		return 0
	case err == nil && len(cfg.Listen) == 0 && os.Getenv("LISTEN_FDS") == "" && tk.state == nil:
		err = errNoSockets
	}
	var unparsed error // a configuration that does not parse, after an upgrade
	if tk.state != nil {
		cfg, unparsed, err = tk.config(cfg, err), err, nil
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "poold:", line)
		}
		fmt.Fprintln(os.Stderr, "poold: see poold --help")
		return exitUsage
	}
	if cfg.Name == "" {
		cfg.Name = config.DeriveName(systemdUnit(), cfg.Command)
	}
	log := logging.New(os.Stderr, logging.Detect(), cfg.LogLevel)
	if unparsed != nil {
		log.Warn("the configuration does not parse: the pool runs on with the one it ran before the upgrade; fix it before the next reload",
			"err", strings.ReplaceAll(unparsed.Error(), "\n", "; "))
	}

	// Before anything is bound or made: a command that cannot start would
	// only crash-loop. A takeover keeps the workers running.
	if tk.state == nil {
		if err := proc.CheckCommand(cfg.Command[0], os.Getenv("PATH")); err != nil {
			log.Error("poold cannot start", "err", err)
			return exitFailure
		}
	}
	dir, err := tk.runtimeDir(cfg, log)
	if err != nil {
		tk.failed(err)
		log.Error("poold cannot start", "err", err)
		return exitFailure
	}
	code := runPool(cfg, log, dir, signals, tk)
	if err := dir.Remove(); err != nil {
		log.Error("poold did not stop cleanly", "err", err)
		return exitFailure
	}
	return code
}

// runPool starts the pool, serves it until a signal or the loss of the
// runtime directory ends it, and drains it. The runtime directory is left
// to the caller, also when the pool cannot start.
func runPool(cfg config.Config, log *slog.Logger, dir *rundir.Dir, signals chan os.Signal, tk *takeover) int {
	var sup *supervisor.Supervisor
	var rl *reloader
	var up *upgrader
	var n *activation.Notifier
	app := fx.New(options(cfg, log, dir, tk), fx.Populate(&sup, &rl, &up, &n))
	if err := app.Err(); err != nil {
		tk.failed(dig.RootCause(err))
		log.Error("poold cannot start", "err", dig.RootCause(err))
		return exitFailure
	}
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		tk.failed(dig.RootCause(err))
		log.Error("poold cannot start", "err", dig.RootCause(err))
		return exitFailure
	}
	if tk.state != nil {
		// The loop runs once it answers: a Shutdown before Run would
		// close it without draining the adopted workers.
		if _, err := sup.Status(startCtx); err != nil {
			log.Warn("the pool's loop did not answer after the upgrade", "err", err)
		}
		tk.failLate()
		tk.announce(n, log)
		up.took(tk.record())
		go tk.reapBusDaemon(log)
		tk.done()
	}
	c := controller{log: log, sup: sup, reloader: rl, upgrader: up, lost: dir.Lost()}
	code := 0
	if tk.state != nil && tk.state.Stop {
		log.Info("a stop came during the upgrade: draining")
	} else if err := c.serve(signals); err != nil {
		code = exitFailure
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go c.forceOnSecondSignal(signals, stopped)
	stopCtx, cancel := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancel()
	if err := app.Stop(stopCtx); err != nil {
		log.Error("poold did not stop cleanly", "err", dig.RootCause(err))
		return exitFailure
	}
	return code
}
