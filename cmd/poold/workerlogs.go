package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"go.uber.org/fx"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/logging"
	"github.com/poold/poold/internal/workerlog"
)

// outputDrainBound is how long, once the workers are gone, poold waits for
// their output to be passed on before it closes the pipes that processes
// which outlived their worker still hold.
const outputDrainBound = 2 * time.Second

// newWorkerOutput carries the workers' stdout and stderr where
// --worker-logs says; nil for inherit, where they write to poold's own.
// Its stop hook runs after the supervisor's drain (it is appended first).
func newWorkerOutput(lc fx.Lifecycle, cfg config.Config, log *slog.Logger) (*workerlog.Output, error) {
	out, mode, err := workerlog.Setup(cfg.WorkerLogs, logging.Detect() == logging.Journal, cfg.Command, os.Stdout, os.Stderr, log)
	if err != nil {
		return nil, err
	}
	log.Debug("worker output", "worker_logs", mode.String())
	if out == nil {
		return nil, nil
	}
	lc.Append(fx.StopHook(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, outputDrainBound)
		defer cancel()
		if err := out.Close(ctx); err != nil {
			log.Warn("worker output not all passed on", "err", err)
		}
		return nil
	}))
	return out, nil
}
