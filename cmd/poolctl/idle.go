package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/config"
)

// unitPool is a pool that poolctl reached on no bus but systemd knows: its
// socket listens and its poold has not started yet, or its units failed.
type unitPool struct {
	name    string
	state   string // see unitPoolState
	service dbusapi.SystemdService
}

// Pool states that only systemd tells.
const (
	stateIdle     = "idle"     // the socket listens, poold starts on the first connection
	stateFailed   = "failed"   // the service or its socket failed
	stateStarting = "starting" // poold starts, and is not on its bus yet
	stateStopped  = "stopped"  // neither the service nor a socket runs
)

// quietStates are the states of the services unitPools looks at: a pool
// whose poold runs is on a bus.
var quietStates = []string{"inactive", "failed", "activating"}

// unitPools asks systemd on the system bus, when poolctl reached it, about
// the pools of the services that run poold and are not running, leaving out
// those named in skip. No systemd there is no error: none are found.
func (a *app) unitPools(ctx context.Context, b *buses, skip map[string]bool) []unitPool {
	var system *dbusapi.Bus
	for _, c := range b.conns {
		if c.Address.Kind == dbusapi.BusSystem {
			system = c
		}
	}
	if system == nil {
		return nil
	}
	services, err := system.PooldServices(ctx, quietStates)
	switch {
	case errors.Is(err, dbusapi.ErrNoSystemd):
		a.verbosef("no systemd on the system bus: not asking it about pools that are not running")
		return nil
	case err != nil:
		a.warnf("%v", err)
		return nil
	}
	var pools []unitPool
	for _, s := range services {
		name := poolNameOf(s)
		if skip[name] {
			continue
		}
		pools = append(pools, unitPool{name: name, state: unitPoolState(s), service: s})
	}
	return pools
}

// named is the pool called name among pools.
func named(pools []unitPool, name string) (unitPool, bool) {
	for _, p := range pools {
		if p.name == name {
			return p, true
		}
	}
	return unitPool{}, false
}

// poolNameOf is the name the service's poold takes: its --name, else one
// derived from the unit, as poold does.
func poolNameOf(s dbusapi.SystemdService) string {
	var args []string
	if len(s.ExecStart) > 1 {
		args = s.ExecStart[1:]
	}
	c, err := config.Parse(args, func(string) string { return "" }, io.Discard)
	if err == nil && c.Name != "" {
		return c.Name
	}
	for i, arg := range args {
		if v, ok := strings.CutPrefix(arg, "--name="); ok {
			return v
		}
		if arg == "--name" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return config.DeriveName(s.Unit, c.Command)
}

func unitPoolState(s dbusapi.SystemdService) string {
	switch {
	case s.ActiveState == "failed":
		return stateFailed
	case s.ActiveState == "activating":
		return stateStarting
	}
	for _, sock := range s.Sockets {
		if sock.ActiveState == "failed" {
			return stateFailed
		}
	}
	if len(listening(s)) > 0 {
		return stateIdle
	}
	return stateStopped
}

// listening are the sockets of the service that listen.
func listening(s dbusapi.SystemdService) []dbusapi.SystemdSocket {
	var socks []dbusapi.SystemdSocket
	for _, sock := range s.Sockets {
		if sock.ActiveState == "active" {
			socks = append(socks, sock)
		}
	}
	return socks
}

// listen is the addresses the service's listening sockets listen on.
func (p unitPool) listen() []string {
	var addrs []string
	for _, sock := range listening(p.service) {
		addrs = append(addrs, sock.Listen...)
	}
	return addrs
}

// line says what the pool's units are doing: "myapp: socket listening on
// 127.0.0.1:8080, pool not started (starts on the first connection)".
func (p unitPool) line() string {
	s := p.service
	sockets := "no socket listening"
	if addrs := p.listen(); len(addrs) > 0 {
		sockets = "socket listening on " + strings.Join(addrs, ", ")
	}
	switch p.state {
	case stateIdle:
		return fmt.Sprintf("%s: %s, pool not started (starts on the first connection)", p.name, sockets)
	case stateStarting:
		return fmt.Sprintf("%s: %s, pool starting (%s)", p.name, sockets, s.Unit)
	case stateStopped:
		return fmt.Sprintf("%s: pool stopped, %s (systemctl start %s)", p.name, sockets, s.Unit)
	}
	var failed []string
	if s.ActiveState == "failed" {
		failed = append(failed, fmt.Sprintf("%s: %s", s.Unit, s.Result))
	}
	for _, sock := range s.Sockets {
		if sock.ActiveState == "failed" {
			failed = append(failed, fmt.Sprintf("%s: %s", sock.Unit, sock.Result))
		}
	}
	return fmt.Sprintf("%s: pool failed (%s), %s; see journalctl -u %s", p.name, strings.Join(failed, ", "), sockets, s.Unit)
}
