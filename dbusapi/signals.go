package dbusapi

import (
	"maps"
	"reflect"

	"github.com/godbus/dbus/v5"
)

// unsignalled are the properties that change all the time and are marked
// EmitsChangedSignal=false: clients read them when they need them.
var unsignalled = []string{
	"LastHeartbeatUSec", "MemoryCurrent", "CPUUsageNSec",
	"MetricsUSec", "LoopDelayP99USec", "LoopDelayMaxUSec", "HeapUsedBytes", "HeapTotalBytes",
	"RequestsTotal", "ActiveRequests", "MessagesDropped",
	"BinaryReplaced", "ReplacementVersion", // poold looks only when asked
	// An upgrade ends in another poold (the bus name gets a new owner),
	// a refused one changes nothing else: clients read it when they need it.
	"LastUpgrade",
}

// follow turns the pool's changes into signals until the server stops.
func (s *Server) follow() {
	defer close(s.done)
	last, ok := s.baseline()
	if !ok {
		return
	}
	known := make(map[uint64]bool, len(last.Workers))
	for _, w := range last.Workers {
		known[w.ID] = true
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.pool.Changes().Ready():
		}
		for _, c := range s.pool.Changes().Take() {
			cur := s.withPaths(c.Status)
			s.emitMembership(c, last, cur, known)
			s.emitProperties(last, cur)
			last = cur
		}
	}
}

// baseline is the first snapshot: what exists already is read with
// ListWorkers, not announced. Changes that came before it are dropped: it
// shows what they did.
func (s *Server) baseline() (Status, bool) {
	for {
		s.pool.Changes().Take()
		st, err := s.status(s.ctx)
		if err == nil {
			return st, true
		}
		select {
		case <-s.ctx.Done():
			return Status{}, false
		case <-s.pool.Changes().Ready():
		}
	}
}

// emitMembership signals a worker added or removed, each once: known holds
// the workers announced or in the baseline. After lost changes it signals
// what differs between the two snapshots, removed workers first.
func (s *Server) emitMembership(c Change, prev, cur Status, known map[uint64]bool) {
	switch c.Kind {
	case ChangeWorkerAdded:
		if !known[c.Worker] {
			known[c.Worker] = true
			s.emit(ManagerPath, ManagerInterface+"."+SignalWorkerNew, c.Worker, WorkerPath(c.Worker))
		}
	case ChangeWorkerRemoved:
		if known[c.Worker] {
			delete(known, c.Worker)
			s.emit(ManagerPath, ManagerInterface+"."+SignalWorkerRemoved, c.Worker, WorkerPath(c.Worker))
		}
	case ChangeResync:
		before, after := byID(prev.Workers), byID(cur.Workers)
		for id := range before {
			if _, ok := after[id]; !ok {
				s.emitMembership(Change{Kind: ChangeWorkerRemoved, Worker: id}, prev, cur, known)
			}
		}
		for id := range after {
			s.emitMembership(Change{Kind: ChangeWorkerAdded, Worker: id}, prev, cur, known)
		}
	}
}

// emitProperties signals the properties that differ between two
// snapshots, of the workers in both and of the pool.
func (s *Server) emitProperties(prev, cur Status) {
	before := byID(prev.Workers)
	for _, w := range cur.Workers {
		old, ok := before[w.ID]
		if !ok {
			continue
		}
		if changed := changedProps(workerProps(old), workerProps(w)); len(changed) > 0 {
			s.emit(w.Path, propertiesInterface+".PropertiesChanged", WorkerInterface, changed, []string{})
		}
	}
	if changed := changedProps(encodeProps(prev.Pool), encodeProps(cur.Pool)); len(changed) > 0 {
		s.emit(ManagerPath, propertiesInterface+".PropertiesChanged", ManagerInterface, changed, []string{})
	}
}

func (s *Server) emit(path dbus.ObjectPath, name string, values ...any) {
	if err := s.conn.Emit(path, name, values...); err != nil {
		s.log.Debug("d-bus: emit signal", "signal", name, "err", err)
	}
}

// changedProps is the properties of cur that differ from prev, leaving out
// the unsignalled ones.
func changedProps(prev, cur map[string]dbus.Variant) map[string]dbus.Variant {
	changed := maps.Clone(cur)
	for name, v := range cur {
		if reflect.DeepEqual(prev[name].Value(), v.Value()) {
			delete(changed, name)
		}
	}
	for _, name := range unsignalled {
		delete(changed, name)
	}
	return changed
}

func byID(ws []WorkerInfo) map[uint64]WorkerInfo {
	m := make(map[uint64]WorkerInfo, len(ws))
	for _, w := range ws {
		m[w.ID] = w
	}
	return m
}
