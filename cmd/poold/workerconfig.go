package main

import (
	"fmt"
	"log/slog"

	"github.com/poold/poold/internal/channel"
	"github.com/poold/poold/internal/config"
)

// workerConfig pushes --worker-config to the workers' channels.
type workerConfig struct {
	path string // empty: none
	hub  *channel.Hub
	log  *slog.Logger
}

// newHub makes the workers' channel hub, holding the worker configuration:
// a file that cannot be read or is not JSON stops poold from starting.
func newHub(cfg config.Config, log *slog.Logger) (*channel.Hub, workerConfig, error) {
	hub := channel.NewHub(log.With("pool", cfg.Name))
	wc := workerConfig{path: cfg.WorkerConfig, hub: hub, log: log}
	if _, err := wc.push(); err != nil {
		return nil, wc, err
	}
	return hub, wc, nil
}

// push reads the file again and sends it to every worker that listens,
// returning how many. On an error the workers keep what they had.
func (wc workerConfig) push() (int, error) {
	if wc.path == "" {
		return 0, nil
	}
	raw, err := config.ReadFile(wc.path)
	if err != nil {
		return 0, fmt.Errorf("worker config: %w", err)
	}
	data, err := channel.CheckData(raw)
	if err != nil {
		return 0, fmt.Errorf("worker config %s: %w; fix it and reload again", wc.path, err)
	}
	n := wc.hub.SetConfig(data)
	wc.log.Info("worker config pushed", "file", wc.path, "bytes", len(data), "workers", n)
	return n, nil
}
