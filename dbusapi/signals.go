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
}

// follow turns the pool's changes into signals until the server stops.
func (s *Server) follow() {
	defer close(s.done)
	// The first snapshot is the baseline: what exists already is read with
	// ListWorkers, not announced.
	var last Status
	for {
		st, err := s.status(s.ctx)
		if err == nil {
			last = st
			break
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.pool.Changes():
		}
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.pool.Changes():
		}
		st, err := s.status(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Debug("d-bus: read status for signals", "err", err)
			}
			continue
		}
		s.emitChanges(last, st)
		last = st
	}
}

// emitChanges signals what differs between two snapshots: removed workers
// first, then new ones, then changed properties.
func (s *Server) emitChanges(prev, cur Status) {
	before := byID(prev.Workers)
	after := byID(cur.Workers)
	for id, w := range before {
		if _, ok := after[id]; !ok {
			s.emit(ManagerPath, ManagerInterface+"."+SignalWorkerRemoved, id, w.Path)
		}
	}
	for id, w := range after {
		old, ok := before[id]
		if !ok {
			s.emit(ManagerPath, ManagerInterface+"."+SignalWorkerNew, id, w.Path)
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
