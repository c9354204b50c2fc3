package distribute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/poold/poold/activation"
)

// Group holds the per-slot sockets of a pool and the program that picks a
// slot for each connection. Its methods are safe for concurrent use: the
// spawner asks for sockets from the supervisor loop, Update comes from a
// goroutine that follows the pool.
type Group struct {
	mode Mode
	log  *slog.Logger
	base []activation.Socket
	// spread[i] tells whether base socket i gets a socket per slot: TCP
	// sockets do; unix sockets stay shared by every slot.
	spread []bool

	store Store // keeps each slot's replicas across a restart of poold; nil: nowhere

	mu        sync.Mutex
	slots     [][]activation.Socket // slots[0] is base
	everReady []bool                // sticky: slots that have had a ready worker
	attached  []bpf.RawInstruction
	closed    bool
}

// View is what Update needs to know of the pool.
type View struct {
	Target   int    // the target worker count
	Ready    []bool // by slot: a ready worker runs in it
	Occupied []bool // by slot: some worker runs in it, in any state
}

// NewGroup prepares the pool sockets for mode. In the shared mode it does
// nothing but drop what keep holds. Otherwise every TCP socket must have
// SO_REUSEPORT; the program is attached at once, sending every connection
// to slot 0 until a worker is ready. The slots' sockets a previous poold
// kept are taken back (see Keep), each new slot's are put in keep.Store.
func NewGroup(mode Mode, base []activation.Socket, log *slog.Logger, keep Keep) (*Group, error) {
	g := &Group{mode: mode, log: log, base: base, spread: make([]bool, len(base)), slots: [][]activation.Socket{base}, store: keep.Store}
	if mode == Shared {
		g.drop(keep.Stored, "the distribution is shared")
		return g, nil
	}
	for i, s := range base {
		if s.Network != "tcp" && s.Network != "tcp6" {
			log.Info("socket stays shared by every worker: only TCP sockets are spread", "socket", s.Name, "address", s.Addr, "distribution", mode.String())
			continue
		}
		on, err := activation.ReusePort(s)
		if err != nil {
			g.drop(keep.Stored, "the pool cannot start")
			return nil, err
		}
		if !on {
			g.drop(keep.Stored, "the pool cannot start")
			return nil, fmt.Errorf("socket %q (%s) has no SO_REUSEPORT, which --distribution %s needs: set ReusePort=yes in its .socket unit, or use --distribution shared",
				s.Name, s.Addr, mode)
		}
		g.spread[i] = true
	}
	g.takeBack(keep.Stored)
	if keep.Handed != nil {
		g.everReady = slices.Clone(keep.Handed.EverReady)
		return g, nil
	}
	// Only the program: the slots taken back stay until the pool's first
	// view says which it has.
	if err := g.steer(View{}); err != nil {
		return nil, err
	}
	warnWithoutMigration(log)
	return g, nil
}

// migrateReq is the sysctl that moves the connections queued on a closed
// listener to another socket of its reuseport group (Linux 5.14).
const migrateReq = "/proc/sys/net/ipv4/tcp_migrate_req"

// warnWithoutMigration says what closing a slot's socket costs when the
// kernel will not move its queue.
func warnWithoutMigration(log *slog.Logger) {
	setting := "unreadable"
	if data, err := os.ReadFile(migrateReq); err == nil {
		setting = strings.TrimSpace(string(data))
	}
	if setting == "1" {
		return
	}
	log.Warn("connections still queued on a slot's socket when it closes (scale down, shutdown) are reset; "+
		"sysctl net.ipv4.tcp_migrate_req=1 moves them to another slot", "tcp_migrate_req", setting)
}

// Sockets returns the sockets of slot, in the order of the pool sockets,
// opening the sockets of every slot up to it that has none yet.
func (g *Group) Sockets(slot int) ([]activation.Socket, error) {
	if g.mode == Shared {
		return g.base, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, errors.New("distribution: sockets closed")
	}
	for len(g.slots) <= slot {
		socks, err := g.replicate()
		if err != nil {
			return nil, fmt.Errorf("sockets of slot %d: %w", len(g.slots), err)
		}
		g.keep(len(g.slots), socks)
		g.slots = append(g.slots, socks)
	}
	return g.slots[slot], nil
}

// replicate opens the sockets of a new slot: a replica of each spread
// socket, the shared ones as they are.
func (g *Group) replicate() ([]activation.Socket, error) {
	socks := make([]activation.Socket, len(g.base))
	for i, s := range g.base {
		if !g.spread[i] {
			socks[i] = s
			continue
		}
		r, err := activation.Replicate(s)
		if err != nil {
			g.closeSpread(socks[:i])
			return nil, err
		}
		socks[i] = r
	}
	return socks, nil
}

// Update points new connections at the slots the view allows, and closes
// the sockets of slots above the target once no worker runs in them.
func (g *Group) Update(v View) error {
	if g.mode == Shared {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	if err := g.steer(v); err != nil {
		return err
	}
	g.closeUnused(v)
	return nil
}

// steer attaches the program for v, unless it is attached already.
func (g *Group) steer(v View) error {
	sel := g.selector(v)
	prog, err := sel.program()
	if err != nil {
		return err
	}
	if slices.Equal(prog, g.attached) {
		return nil
	}
	if err := g.attach(prog); err != nil {
		return err
	}
	g.attached = prog
	g.logAttached(sel)
	return nil
}

// selector is the program for the view. Sticky: slots 0..n-1, n the
// number of leading slots below the target that have had a ready worker,
// so that a slot keeps its addresses across restarts and reloads. Balanced:
// the slots with a ready worker now.
func (g *Group) selector(v View) selector {
	for len(g.everReady) < v.Target {
		g.everReady = append(g.everReady, false)
	}
	g.everReady = g.everReady[:v.Target]
	for slot := range g.everReady {
		g.everReady[slot] = g.everReady[slot] || at(v.Ready, slot)
	}
	if g.mode == Sticky {
		n := 0
		for n < len(g.everReady) && g.everReady[n] {
			n++
		}
		return selector{buckets: n, netOff: skfNetOff}
	}
	var live []int
	for slot := 0; slot < v.Target; slot++ {
		if at(v.Ready, slot) {
			live = append(live, slot)
		}
	}
	return selector{withPort: true, buckets: len(live), slots: live, netOff: skfNetOff}
}

// logAttached says which slots new connections now go to. Sticky says it
// at info: each change moves client addresses between slots.
func (g *Group) logAttached(sel selector) {
	level := slog.LevelDebug
	if g.mode == Sticky {
		level = slog.LevelInfo
	}
	slots := sel.slots
	if slots == nil {
		slots = make([]int, sel.buckets)
		for i := range slots {
			slots[i] = i
		}
	}
	g.log.Log(context.Background(), level, "distribution: new connections go to slots", "mode", g.mode.String(), "slots", fmt.Sprint(slots))
}

func at(b []bool, i int) bool { return i < len(b) && b[i] }

// attach installs prog on every spread socket's reuseport group.
func (g *Group) attach(prog []bpf.RawInstruction) error {
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	for i, s := range g.base {
		if !g.spread[i] {
			continue
		}
		rc, err := s.File.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF, &fprog)
		}); err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("socket %q: attach the %s program: %w", s.Name, g.mode, serr)
		}
	}
	return nil
}

// closeUnused closes, highest first, the sockets of slots above the target
// that no worker uses any more. Only the highest slot's sockets may go, so
// that socket i of each group stays slot i's.
func (g *Group) closeUnused(v View) {
	for last := len(g.slots) - 1; last >= max(v.Target, 1) && !at(v.Occupied, last); last-- {
		g.unkeep(last)
		g.closeSpread(g.slots[last])
		g.slots = g.slots[:last]
		g.log.Debug("distribution: closed the sockets of a removed slot", "slot", last)
	}
}

// closeSpread closes the replicas among socks.
func (g *Group) closeSpread(socks []activation.Socket) {
	for i, s := range socks {
		if g.spread[i] && s.File != nil {
			if err := s.File.Close(); err != nil {
				g.log.Warn("distribution: close socket", "socket", s.Name, "err", err)
			}
		}
	}
}

// Close closes every replica; the pool sockets themselves stay open, and
// so do the copies in the store: systemd closes them when the unit stops,
// and a poold it starts again (systemctl restart) takes them back. New
// connections go to slot 0 from here on: a socket unit's socket outlives
// poold, the slots' are closing, or idle in the store.
func (g *Group) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	if g.mode != Shared {
		if err := g.steer(View{}); err != nil {
			g.log.Warn("distribution: point new connections at slot 0", "err", err)
		}
	}
	for _, socks := range g.slots[1:] {
		g.closeSpread(socks)
	}
	g.slots = g.slots[:1]
}
