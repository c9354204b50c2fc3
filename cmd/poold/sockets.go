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
// --listen addresses, or takes back those a previous poold of the unit
// bound and kept in systemd's fd store. It also returns the distribution
// slots' sockets found in the store, for the group to take back.
func openSockets(cfg config.Config, n *activation.Notifier, log *slog.Logger) (socks, slotsKept []activation.Socket, err error) {
	passed, err := activation.FromEnvironment()
	if err != nil {
		return nil, nil, err
	}
	fds := fdStore{n: n, log: log}
	fds.forget(passed.Rejected)
	listenKept, slotsKept := splitStored(passed.Stored)
	if len(passed.Sockets) > 0 {
		if len(cfg.Listen) > 0 {
			log.Warn("socket-activated: ignoring --listen", "sockets", len(passed.Sockets))
		}
		fds.drop(listenKept, "socket-activated: the socket unit's sockets serve")
		logSockets(log, "sockets from systemd", passed.Sockets)
		return passed.Sockets, slotsKept, nil
	}
	if len(cfg.Listen) == 0 {
		activation.CloseAll(slotsKept)
		activation.CloseAll(listenKept)
		return nil, nil, errNoSockets
	}
	socks, err = fds.bindListen(cfg.Listen, listenKept, bindOptions(cfg))
	if err != nil {
		activation.CloseAll(slotsKept)
		return nil, nil, err
	}
	return socks, slotsKept, nil
}

func bindOptions(cfg config.Config) []activation.BindOption {
	if cfg.Distribution != distribute.Shared {
		return []activation.BindOption{activation.SharePort}
	}
	return nil
}

// splitStored tells the stored --listen sockets from the slots'.
func splitStored(stored []activation.Socket) (listen, slots []activation.Socket) {
	for _, s := range stored {
		if _, ok := activation.ParseListenStoreName(s.Name); ok {
			listen = append(listen, s)
		} else {
			slots = append(slots, s)
		}
	}
	return listen, slots
}

func logSockets(log *slog.Logger, msg string, socks []activation.Socket) {
	for i, s := range socks {
		log.Info(msg, "fd", 3+i, "name", s.Name, "network", s.Network, "addr", s.Addr)
	}
}
