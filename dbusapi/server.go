package dbusapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/godbus/dbus/v5"
)

// callTimeout bounds the calls that only read or set a value; Reload and
// RestartWorker run until the rollout ends.
const callTimeout = 10 * time.Second

// ErrNameTaken: another pool of the same name is on the bus.
var ErrNameTaken = errors.New("d-bus name taken")

// Server exports one pool on a bus: the Manager object, an object per
// worker, and the signals that follow the pool's changes.
//
// godbus runs every method call in its own goroutine; handlers only convert
// arguments, check the caller, call the Pool with a bounded context and map
// errors to named D-Bus errors. The pool's state stays in the supervisor.
type Server struct {
	conn  *dbus.Conn
	pool  Backend
	auth  Authorizer
	audit Auditor
	log   *slog.Logger
	kind  BusKind
	name  string

	ctx    context.Context // ends when the server stops: in-flight calls give up
	cancel context.CancelFunc
	done   chan struct{}
}

// NewServer returns a server for the pool called name on conn. Start
// exports it. Every changing call is recorded with audit, or with
// LogAuditor{log} when audit is nil.
func NewServer(conn *dbus.Conn, kind BusKind, name string, pool Backend, auth Authorizer, audit Auditor, log *slog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	if audit == nil {
		audit = LogAuditor{Log: log}
	}
	return &Server{
		conn: conn, kind: kind, name: name, pool: pool, auth: auth, audit: audit, log: log,
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
}

// Start exports the objects, takes the pool's bus name and starts following
// the pool's changes. It fails if another pool of that name is on the bus.
// It does not wait for the pool: calls made before the pool runs wait for it.
func (s *Server) Start() error {
	if err := s.export(); err != nil {
		return fmt.Errorf("d-bus: export: %w", err)
	}
	busName := BusName(s.name)
	reply, err := s.conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("d-bus: own %s on the %s bus: %w", busName, s.kind, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner && reply != dbus.RequestNameReplyAlreadyOwner {
		return &NameTakenError{Name: s.name, Bus: Address{Kind: s.kind}, PID: ownerPID(context.Background(), s.conn, busName)}
	}
	go s.follow()
	s.log.Info("control plane on d-bus", "bus", s.kind.String(), "name", busName)
	return nil
}

// Stop releases the name, ends in-flight calls and the signal loop.
func (s *Server) Stop() error {
	s.cancel()
	<-s.done
	_, err := s.conn.ReleaseName(BusName(s.name))
	if err != nil && !errors.Is(err, dbus.ErrClosed) {
		return fmt.Errorf("d-bus: release name: %w", err)
	}
	return nil
}

func (s *Server) export() error {
	m := &manager{s: s}
	exports := []struct {
		v       any
		iface   string
		subtree bool
	}{
		{m, ManagerInterface, false},
		{&properties{s: s}, propertiesInterface, true},
		{&introspectable{s: s}, introspectableIface, true},
	}
	for _, e := range exports {
		export := s.conn.Export
		if e.subtree {
			export = s.conn.ExportSubtree
		}
		if err := export(e.v, ManagerPath, e.iface); err != nil {
			return err
		}
	}
	return nil
}

// statusWithUsage is status with each worker's memory and CPU sampled, for
// the replies that carry them.
func (s *Server) statusWithUsage(ctx context.Context) (Status, error) {
	st, err := s.status(ctx)
	for i := range st.Workers {
		w := &st.Workers[i]
		w.MemoryCurrent, w.CPUUsageNSec = s.pool.Usage(w.PID)
	}
	return st, err
}

// status reads the pool with the worker paths filled in.
func (s *Server) status(ctx context.Context) (Status, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := s.pool.Status(ctx)
	if err != nil {
		return st, err
	}
	return s.withPaths(st), nil
}

func (s *Server) withPaths(st Status) Status {
	for i := range st.Workers {
		st.Workers[i].Path = WorkerPath(st.Workers[i].ID)
	}
	st.Pool.Bus = s.kind.String()
	return st
}
