package main

import (
	"encoding/json"
	"io"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/dbusapi"
)

// The JSON shapes of list and status: dbusapi's types with stable
// snake_case keys. jsonPool and jsonWorker convert from dbusapi.PoolInfo and
// WorkerInfo directly, so a field added there breaks the build here until it gets a
// key: JSON output never loses a field silently.
type (
	jsonStatus struct {
		Pool    jsonPoolOnBus `json:"pool"`
		Workers []jsonWorker  `json:"workers"`
	}
	// jsonPoolOnBus adds the address of the bus poolctl found the pool on,
	// for busctl --address and other clients, or for a pool on no bus its
	// units, as systemd shows them.
	jsonPoolOnBus struct {
		jsonPool
		BusAddress string     `json:"bus_address"`
		Units      *jsonUnits `json:"units,omitempty"`
	}
	jsonUnits struct {
		Service       string       `json:"service"`
		ServiceState  string       `json:"service_state"`
		ServiceResult string       `json:"service_result"`
		Sockets       []jsonSocket `json:"sockets"`
	}
	jsonSocket struct {
		Unit   string   `json:"unit"`
		State  string   `json:"state"`
		Result string   `json:"result"`
		Listen []string `json:"listen"`
	}
	jsonPool struct {
		Name            string   `json:"name"`
		Version         string   `json:"version"`
		State           string   `json:"state"`
		StatusText      string   `json:"status_text"`
		TargetWorkers   uint32   `json:"target_workers"`
		MaxWorkers      uint32   `json:"max_workers"`
		ReadyWorkers    uint32   `json:"ready_workers"`
		StartingWorkers uint32   `json:"starting_workers"`
		StoppingWorkers uint32   `json:"stopping_workers"`
		Generation      uint32   `json:"generation"`
		WorkersReason   string   `json:"workers_reason"`
		ReadyMode       string   `json:"ready_mode"`
		Listen          []string `json:"listen"`
		Command         []string `json:"command"`
		MainPID         uint32   `json:"main_pid"`
		Bus             string   `json:"bus"`
		Distribution    string   `json:"distribution"`
		WorkerCgroups   string   `json:"worker_cgroups"`
		// dbusapi.SlotInfo carries its JSON keys: a struct conversion
		// needs the same element type.
		FailingSlots   []dbusapi.SlotInfo `json:"failing_slots"`
		BinaryReplaced bool               `json:"binary_replaced"`
		// ReplacementVersion is the version a restart would run.
		ReplacementVersion string              `json:"replacement_version"`
		LastUpgrade        dbusapi.UpgradeInfo `json:"last_upgrade"`
		UpgradeOnInstall   bool                `json:"upgrade_on_install"`
		// Generations carries its JSON keys, as FailingSlots.
		Generations []dbusapi.GenerationInfo `json:"generations"`
	}
	// jsonUpgrade is one pool's line of poolctl upgrade --json.
	jsonUpgrade struct {
		Name          string `json:"name"`
		Bus           string `json:"bus"`
		BusAddress    string `json:"bus_address"`
		Result        string `json:"result"`
		From          string `json:"from"`
		To            string `json:"to"`
		DurationUSec  int64  `json:"duration_usec"`
		WorkersBefore int    `json:"workers_before"`
		WorkersKept   int    `json:"workers_kept"`
		Reason        string `json:"reason"`
	}
	jsonWorker struct {
		ID                uint64          `json:"id"`
		Slot              uint32          `json:"slot"`
		PID               uint32          `json:"pid"`
		State             string          `json:"state"`
		Generation        uint32          `json:"generation"`
		StartedUSec       uint64          `json:"started_usec"`
		ReadyUSec         uint64          `json:"ready_usec"`
		LastHeartbeatUSec uint64          `json:"last_heartbeat_usec"`
		Restarts          uint32          `json:"restarts"`
		StatusText        string          `json:"status_text"`
		MemoryCurrent     uint64          `json:"memory_current"`
		CPUUsageNSec      uint64          `json:"cpu_usage_nsec"`
		Path              dbus.ObjectPath `json:"path"`
		MetricsUSec       uint64          `json:"metrics_usec"`
		LoopDelayP99USec  uint64          `json:"loop_delay_p99_usec"`
		LoopDelayMaxUSec  uint64          `json:"loop_delay_max_usec"`
		HeapUsedBytes     uint64          `json:"heap_used_bytes"`
		HeapTotalBytes    uint64          `json:"heap_total_bytes"`
		RequestsTotal     uint64          `json:"requests_total"`
		ActiveRequests    uint64          `json:"active_requests"`
		ChannelOpen       bool            `json:"channel_open"`
		MessagesDropped   uint64          `json:"messages_dropped"`
	}
)

func toJSONPool(r poolStatus) jsonPoolOnBus {
	j := jsonPoolOnBus{jsonPool: jsonPool(r.Pool), BusAddress: r.Bus.Address}
	j.Listen = nonNil(j.Listen)
	j.Command = nonNil(j.Command)
	gens := make([]dbusapi.GenerationInfo, len(j.Generations))
	for i, g := range j.Generations {
		gens[i] = g.WithEmptyLists()
	}
	j.Generations = gens
	if j.FailingSlots == nil {
		j.FailingSlots = []dbusapi.SlotInfo{}
	}
	for i, s := range j.FailingSlots {
		j.FailingSlots[i].LastOutput = nonNil(s.LastOutput)
	}
	if r.Units != nil {
		j.Units = toJSONUnits(r.Units.service)
	}
	return j
}

func (r upgradeResult) json() jsonUpgrade {
	return jsonUpgrade{Name: r.Pool, Bus: r.Bus.Kind.String(), BusAddress: r.Bus.Address, Result: r.Result,
		From: r.From, To: r.To, DurationUSec: r.Duration.Microseconds(),
		WorkersBefore: r.WorkersBefore, WorkersKept: r.WorkersKept, Reason: r.Reason}
}

func toJSONUnits(s dbusapi.SystemdService) *jsonUnits {
	u := &jsonUnits{Service: s.Unit, ServiceState: s.ActiveState, ServiceResult: s.Result, Sockets: []jsonSocket{}}
	for _, sock := range s.Sockets {
		state := sock.SubState // "listening" says more than "active"
		if sock.ActiveState == "failed" {
			state = sock.ActiveState
		}
		u.Sockets = append(u.Sockets, jsonSocket{Unit: sock.Unit, State: state, Result: sock.Result, Listen: nonNil(sock.Listen)})
	}
	return u
}

func toJSONStatus(r poolStatus) jsonStatus {
	j := jsonStatus{Pool: toJSONPool(r), Workers: make([]jsonWorker, len(r.Workers))}
	for i, w := range r.Workers {
		j.Workers[i] = jsonWorker(w)
	}
	return j
}

// nonNil makes empty lists [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
