package main

import (
	"errors"
	"log/slog"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
)

// errNoSockets explains the two ways to give poold its sockets.
var errNoSockets = errors.New("no listening sockets: start poold from a systemd .socket unit (LISTEN_FDS) or give --listen ADDR, e.g. --listen 127.0.0.1:3000")

// openSockets takes systemd's sockets when socket-activated, else binds the
// --listen addresses.
func openSockets(cfg config.Config, log *slog.Logger) ([]activation.Socket, error) {
	passed, err := activation.FromEnvironment()
	if err != nil {
		return nil, err
	}
	// Nothing stores sockets yet: keep none.
	activation.CloseAll(passed.Stored)
	socks := passed.Sockets
	if len(socks) > 0 {
		if len(cfg.Listen) > 0 {
			log.Warn("socket-activated: ignoring --listen", "sockets", len(socks))
		}
		logSockets(log, "sockets from systemd", socks)
		return socks, nil
	}
	if len(cfg.Listen) == 0 {
		return nil, errNoSockets
	}
	var opts []activation.BindOption
	if cfg.Distribution != distribute.Shared {
		opts = append(opts, activation.SharePort)
	}
	socks, err = activation.Bind(cfg.Listen, opts...)
	if err != nil {
		return nil, err
	}
	logSockets(log, "sockets bound", socks)
	return socks, nil
}

func logSockets(log *slog.Logger, msg string, socks []activation.Socket) {
	for i, s := range socks {
		log.Info(msg, "fd", 3+i, "name", s.Name, "network", s.Network, "addr", s.Addr)
	}
}
