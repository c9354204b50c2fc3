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
	"strings"
	"syscall"

	"go.uber.org/fx"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/proc"
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

func main() {
	proc.MaybeRunTrampoline() // never returns when this process is a worker trampoline
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Println("poold", version)
		return 0
	}
	cfg, err := config.Parse(args, os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "poold:", line)
		}
		fmt.Fprintln(os.Stderr, "poold: see poold --help")
		return exitUsage
	}
	log := logging.New(os.Stderr, logging.Detect(), cfg.LogLevel)
	var sup *supervisor.Supervisor
	app := fx.New(options(cfg, log), fx.Populate(&sup))
	if err := app.Err(); err != nil {
		log.Error("poold cannot start", "err", err)
		return exitFailure
	}
	startCtx, cancel := context.WithTimeout(context.Background(), fx.DefaultTimeout)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		log.Error("poold cannot start", "err", err)
		return exitFailure
	}
	waitForStop(log, sup)
	stopCtx, cancel := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancel()
	if err := app.Stop(stopCtx); err != nil {
		log.Error("poold did not stop cleanly", "err", err)
		return exitFailure
	}
	return 0
}

// waitForStop returns on SIGTERM or SIGINT, or if the supervisor ends.
// SIGHUP must not kill the pool (its default action): it is logged until
// rolling reloads exist.
func waitForStop(log *slog.Logger, sup *supervisor.Supervisor) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(signals)
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				log.Warn("SIGHUP ignored: rolling reload is not implemented yet")
				continue
			}
			log.Info("signal received, draining", "signal", sig.String())
			return
		case <-sup.Done():
			return
		}
	}
}
