package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/poold/poold/internal/suggest"
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

// unknownFlag writes the flag package's "flag provided but not defined: -x"
// as people write flags, with the nearest flag when there is one.
func unknownFlag(fs *flag.FlagSet, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err
	}
	msg := "unknown flag --" + name
	if near, ok := nearestKey(fs, name, nil); ok {
		msg += "; did you mean --" + near + "?"
	}
	return errors.New(msg)
}

// nearestKey is the flag of fs, not one of except, or the config file's
// command, that name was probably meant to be.
func nearestKey(fs *flag.FlagSet, name string, except map[string]bool) (string, bool) {
	var keys []string
	fs.VisitAll(func(f *flag.Flag) {
		if !except[f.Name] {
			keys = append(keys, f.Name)
		}
	})
	if except != nil {
		keys = append(keys, commandKey)
	}
	return suggest.Closest(name, keys)
}
