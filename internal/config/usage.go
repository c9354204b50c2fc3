package config

import (
	"flag"
	"fmt"
	"io"
)

func printUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage: poold [flags] -- COMMAND [ARGS...]
       poold --config FILE [flags] [-- COMMAND [ARGS...]]

Runs a pool of COMMAND workers that share the listening sockets systemd passes
(LISTEN_FDS) or, without socket activation, the ones given with --listen.
Each worker gets the sockets as fds 3.., LISTEN_FDS, LISTEN_FDNAMES and its own
LISTEN_PID, a NOTIFY_SOCKET into poold, and POOLD_SLOT (see docs/worker-contract.md).
With --distribution balanced or sticky, each worker slot gets TCP sockets of its
own, bound to the same addresses (SO_REUSEPORT; see docs/distribution.md).

A config file holds KEY = VALUE lines, KEY a long flag name or command:
  command = node /srv/myapp/server.js
  workers = auto

Examples:
  poold --listen 127.0.0.1:3000 --workers 4 -- node server.js
  poold --config /etc/poold/myapp.conf --name myapp

Flags:
`)
	fs.PrintDefaults()
}
