package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/controlbus"
)

// dialTimeout bounds connecting to one bus: a bus that does not answer is
// skipped like one that is not there.
const dialTimeout = 5 * time.Second

// buses is the connections to the candidate buses for one command.
type buses struct {
	conns        []*dbusapi.Bus
	searched     []dbusapi.Address // the buses reached, in order
	unreachable  []dbusapi.Address
	privateBases []string // where private buses were looked for
}

// connect dials every candidate bus; those that cannot be reached (absent,
// refused, permission denied) are skipped, and named with --verbose.
func (a *app) connect(ctx context.Context) *buses {
	b := &buses{privateBases: a.privateBases()}
	for _, addr := range controlbus.Candidates(a.getenv) {
		bus, err := a.dialOne(ctx, addr)
		if err != nil {
			a.verbosef("skipping the %v", err) // "system bus ADDRESS: why"
			b.unreachable = append(b.unreachable, addr)
			continue
		}
		b.conns = append(b.conns, bus)
		b.searched = append(b.searched, addr)
	}
	return b
}

// dialOne connects to addr, giving up on a bus that does not answer in time.
func (a *app) dialOne(ctx context.Context, addr dbusapi.Address) (*dbusapi.Bus, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	bus, err := a.dial(ctx, addr)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%s bus %s: no answer within %s", addr.Kind, addr.Address, dialTimeout)
	}
	return bus, err
}

func (b *buses) close() {
	for _, c := range b.conns {
		c.Close()
	}
}

// pools is every pool on every bus reached, in bus order then by name.
func (a *app) pools(ctx context.Context, b *buses) []*dbusapi.Pool {
	var pools []*dbusapi.Pool
	for _, bus := range b.conns {
		names, err := bus.Pools(ctx)
		if err != nil {
			a.warnf("%v", err)
			continue
		}
		for _, n := range names {
			pools = append(pools, bus.Pool(n))
		}
	}
	return pools
}

// pick is the first pool named name; the bus order (system, session,
// private) decides between namesakes.
func pick(pools []*dbusapi.Pool, name string, b *buses) (*dbusapi.Pool, error) {
	for _, p := range pools {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, &noPoolError{name: name, where: b.where()}
}

// withPool finds the pool called name and calls fn with it, under a context
// bounded by timeout (or --timeout).
func (a *app) withPool(ctx context.Context, name string, timeout time.Duration, fn func(context.Context, *dbusapi.Pool) error) error {
	ctx, cancel := a.withTimeout(ctx, timeout)
	defer cancel()
	b := a.connect(ctx)
	defer b.close()
	p, err := pick(a.pools(ctx, b), name, b)
	if err != nil {
		if u, ok := named(a.unitPools(ctx, b, nil), name); ok {
			return &notRunningError{pool: u}
		}
		return err
	}
	return poolError(name, fn(ctx, p))
}

// where says where pools were looked for: "looked on: system bus, private
// buses under /run/poold; could not reach: session bus".
func (b *buses) where() string {
	var parts []string
	for _, addr := range b.searched {
		if addr.Kind != dbusapi.BusPrivate {
			parts = append(parts, describeBus(addr))
		}
	}
	if len(b.privateBases) > 0 {
		parts = append(parts, "private buses under "+joinPlaces(b.privateBases))
	}
	s := "looked on: " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		s = "no bus found"
	}
	if len(b.unreachable) > 0 {
		s += "; could not reach: " + describeBuses(b.unreachable)
	}
	return s
}

// joinPlaces names up to two directories and counts the others.
func joinPlaces(dirs []string) string {
	switch len(dirs) {
	case 1:
		return dirs[0]
	case 2:
		return dirs[0] + " and " + dirs[1]
	}
	return fmt.Sprintf("%s, %s and %d more", dirs[0], dirs[1], len(dirs)-2)
}

// describeBus names one bus for people: "system bus", "private bus at PATH".
func describeBus(addr dbusapi.Address) string {
	if addr.Kind == dbusapi.BusPrivate {
		return "private bus at " + socketPath(addr.Address)
	}
	return addr.Kind.String() + " bus"
}

// describeBuses names buses for people, the private ones together by the
// directory that holds them: "system bus, private buses under /run/poold".
func describeBuses(addrs []dbusapi.Address) string {
	var parts, private []string
	for _, addr := range addrs {
		if addr.Kind == dbusapi.BusPrivate {
			private = append(private, socketPath(addr.Address))
			continue
		}
		parts = append(parts, describeBus(addr))
	}
	switch len(private) {
	case 0:
	case 1:
		parts = append(parts, "private bus at "+private[0])
	default:
		parts = append(parts, "private buses under "+commonDir(private))
	}
	if len(parts) == 0 {
		return "no bus"
	}
	return strings.Join(parts, ", ")
}

// withoutGUID drops the ",guid=..." of an address, which says nothing to
// people.
func withoutGUID(address string) string {
	parts := strings.Split(address, ",")
	kept := parts[:0]
	for _, p := range parts {
		if !strings.HasPrefix(p, "guid=") {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ",")
}

// socketPath is the file of a "unix:path=..." address, else the address.
func socketPath(address string) string {
	for _, a := range strings.Split(address, ";") {
		rest, ok := strings.CutPrefix(a, "unix:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if p, ok := strings.CutPrefix(kv, "path="); ok {
				return p
			}
		}
	}
	return address
}

// commonDir is the deepest directory holding all paths: /run/poold for
// /run/poold/a.1/bus and /run/poold/b.2/bus.
func commonDir(paths []string) string {
	dirs := make([]string, len(paths))
	for i, p := range paths {
		dirs[i] = filepath.Dir(p)
	}
	common := dirs[0]
	for _, d := range dirs[1:] {
		for common != "/" && common != "." && d != common && !strings.HasPrefix(d, common+"/") {
			common = filepath.Dir(common)
		}
	}
	return common
}

// isGone says whether err is a pool that left the bus between listing and
// reading it.
func isGone(err error) bool { return errors.Is(err, dbusapi.ErrNoSuchPool) }
