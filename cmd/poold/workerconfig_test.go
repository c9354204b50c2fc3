package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/config"
)

func TestWorkerConfigIsCheckedAtStartAndOnPush(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	file := filepath.Join(t.TempDir(), "flags.json")
	cfg := config.Config{Name: "web", WorkerConfig: file}

	if _, _, err := newHub(cfg, log); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("start with a missing file: %v, want it refused", err)
	}
	if err := os.WriteFile(file, []byte(`{"flag": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	hub, wc, err := newHub(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(`{"flag": `), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &backend{config: wc, hub: hub}
	if _, err := b.Broadcast(t.Context(), []byte("{oops")); !errors.Is(err, dbusapi.ErrInvalidArgument) {
		t.Errorf("broadcast of bad JSON: %v, want InvalidArgument", err)
	}
	_, err = b.PushConfig(t.Context())
	if !errors.Is(err, dbusapi.ErrReloadFailed) || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("push of a broken file: %v, want ReloadFailed naming the file", err)
	}
	b.config.path = ""
	if _, err := b.PushConfig(t.Context()); !errors.Is(err, dbusapi.ErrInvalidArgument) || !strings.Contains(err.Error(), "--worker-config") {
		t.Errorf("push without --worker-config: %v, want InvalidArgument naming the flag", err)
	}
}
