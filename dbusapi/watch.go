package dbusapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"
)

// EventKind says what changed in a pool.
type EventKind int

const (
	// WorkerNew: a worker object appeared.
	WorkerNew EventKind = iota + 1
	// WorkerRemoved: a worker exited and its object is gone.
	WorkerRemoved
	// WorkerChanged: properties of a worker changed.
	WorkerChanged
	// PoolChanged: properties of the Manager changed.
	PoolChanged
)

func (k EventKind) String() string {
	switch k {
	case WorkerNew:
		return "worker-new"
	case WorkerRemoved:
		return "worker-removed"
	case WorkerChanged:
		return "worker-changed"
	case PoolChanged:
		return "pool-changed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one signal from a pool.
type Event struct {
	Kind     EventKind
	WorkerID uint64          // worker events only
	Path     dbus.ObjectPath // the object the event is about
	Changed  map[string]dbus.Variant
}

// Watch delivers the pool's signals until ctx ends, then closes the channel.
// Subscribe before making the change you want to follow.
func (p *Pool) Watch(ctx context.Context) (<-chan Event, error) {
	sender := dbus.WithMatchSender(BusName(p.Name))
	conn := p.bus.conn
	if err := conn.AddMatchSignalContext(ctx, sender, dbus.WithMatchPathNamespace(ManagerPath)); err != nil {
		return nil, p.wrap("watch", err)
	}
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)
	events := make(chan Event, 64)
	go func() {
		defer close(events)
		defer conn.RemoveSignal(signals)
		defer conn.RemoveMatchSignal(sender, dbus.WithMatchPathNamespace(ManagerPath)) //nolint:errcheck // best effort on the way out
		for {
			select {
			case <-ctx.Done():
				return
			case sig, ok := <-signals:
				if !ok {
					return
				}
				ev, ok := toEvent(sig)
				if !ok {
					continue
				}
				select {
				case events <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return events, nil
}

func toEvent(sig *dbus.Signal) (Event, bool) {
	switch sig.Name {
	case ManagerInterface + "." + SignalWorkerNew, ManagerInterface + "." + SignalWorkerRemoved:
		var ev Event
		if err := dbus.Store(sig.Body, &ev.WorkerID, &ev.Path); err != nil {
			return ev, false
		}
		ev.Kind = WorkerRemoved
		if strings.HasSuffix(sig.Name, SignalWorkerNew) {
			ev.Kind = WorkerNew
		}
		return ev, true
	case propertiesInterface + ".PropertiesChanged":
		var iface string
		var invalidated []string
		ev := Event{Path: sig.Path}
		if err := dbus.Store(sig.Body, &iface, &ev.Changed, &invalidated); err != nil {
			return ev, false
		}
		switch iface {
		case ManagerInterface:
			ev.Kind = PoolChanged
		case WorkerInterface:
			ev.Kind = WorkerChanged
			ev.WorkerID = workerID(sig.Path)
		default:
			return ev, false
		}
		return ev, true
	}
	return Event{}, false
}

// workerID is the ID in a worker path, 0 if it is not one.
func workerID(path dbus.ObjectPath) uint64 {
	var id uint64
	if s, ok := strings.CutPrefix(string(path), workerPathPrefix); ok {
		fmt.Sscan(s, &id) //nolint:errcheck // 0 for a malformed path
	}
	return id
}
