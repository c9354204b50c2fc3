package main

import (
	"log/slog"
	"path/filepath"

	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/nodejs"
	"github.com/poold/poold/internal/rundir"
)

// workersEnv is the environment workers start from: the spec's (poold's
// own), with the Node.js package "poold", kept in the runtime directory, as
// the preload in front of NODE_OPTIONS and in NODE_PATH when the worker
// command is node, or a package manager, whose node it makes say what to
// do (docs/nodejs.md).
func workersEnv(pool string, spec config.WorkerSpec, dir *rundir.Dir, log *slog.Logger) ([]string, error) {
	env := spec.Env
	wrapper := nodejs.Wrapper(spec.Command[0])
	if spec.NodePreload == nodejs.Off || !nodejs.IsNodeCommand(spec.Command[0]) && wrapper == "" {
		return env, nil
	}
	if wrapper != "" {
		log.Warn("the worker command is a package manager, whose node does not get the pool's sockets: run node itself (-- node server.js)",
			"pool", pool, "command", wrapper)
	}
	err := dir.Keep(func() error {
		_, err := nodejs.Install(dir.Path(), nodejs.Options{Drain: spec.NodeDrain, Wrapper: wrapper})
		return err
	})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir.Path(), filepath.FromSlash(nodejs.PackageDir), nodejs.PreloadFile)
	log.Info("node preload in NODE_OPTIONS", "pool", pool, "path", path, "drain", spec.NodeDrain)
	return nodejs.WithPreload(env, path), nil
}
