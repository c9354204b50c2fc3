package dbusapi

import (
	"context"
	"fmt"
	"syscall"

	"github.com/godbus/dbus/v5"
)

// manager implements the Manager interface's methods.
type manager struct{ s *Server }

func (m *manager) Scale(sender dbus.Sender, workers int32, flags uint64) *dbus.Error {
	return m.change(sender, "scale", true, func(ctx context.Context) error {
		if flags&^ScaleAllowZero != 0 {
			return fmt.Errorf("%w: unknown Scale flags %#x", ErrInvalidArgument, flags&^ScaleAllowZero)
		}
		return m.s.pool.Scale(ctx, int(workers), flags&ScaleAllowZero != 0)
	})
}

func (m *manager) Reload(sender dbus.Sender, flags uint64) (uint32, *dbus.Error) {
	return m.changeCounting(sender, "reload", false, func(ctx context.Context) (int, error) {
		if flags != 0 {
			return 0, fmt.Errorf("%w: unknown Reload flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.Reload(ctx)
	})
}

func (m *manager) RestartWorker(sender dbus.Sender, slot uint32, flags uint64) *dbus.Error {
	return m.change(sender, "restart worker", false, func(ctx context.Context) error {
		if flags != 0 {
			return fmt.Errorf("%w: unknown RestartWorker flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.RestartWorker(ctx, int(slot))
	})
}

func (m *manager) SignalWorkers(sender dbus.Sender, slot int32, signal int32) *dbus.Error {
	return m.change(sender, "signal", true, func(ctx context.Context) error {
		if slot < -1 {
			return fmt.Errorf("%w: slot %d: want a slot number, or -1 for every worker", ErrInvalidArgument, slot)
		}
		return m.s.pool.SignalWorkers(ctx, int(slot), syscall.Signal(signal))
	})
}

func (m *manager) Broadcast(sender dbus.Sender, data string, flags uint64) (uint32, *dbus.Error) {
	return m.changeCounting(sender, "broadcast", true, func(ctx context.Context) (int, error) {
		if flags != 0 {
			return 0, fmt.Errorf("%w: unknown Broadcast flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.Broadcast(ctx, []byte(data))
	})
}

func (m *manager) PushConfig(sender dbus.Sender, flags uint64) (uint32, *dbus.Error) {
	return m.changeCounting(sender, "push config", true, func(ctx context.Context) (int, error) {
		if flags != 0 {
			return 0, fmt.Errorf("%w: unknown PushConfig flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.PushConfig(ctx)
	})
}

func (m *manager) ListWorkers() ([]WorkerInfo, *dbus.Error) {
	st, err := m.s.statusWithUsage(m.s.ctx)
	if err != nil {
		return nil, toDBusError(err)
	}
	if st.Workers == nil {
		st.Workers = []WorkerInfo{} // an empty array, not a missing one
	}
	return st.Workers, nil
}

// change runs a changing call for an authorized caller, bounded by
// callTimeout when quick, otherwise only by the server's life.
func (m *manager) change(sender dbus.Sender, op string, quick bool, do func(context.Context) error) *dbus.Error {
	ctx := m.s.ctx
	if quick {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	if err := m.s.auth.Check(ctx, string(sender)); err != nil {
		m.s.log.Warn("d-bus call refused", "op", op, "sender", string(sender), "err", err)
		return toDBusError(err)
	}
	if err := do(ctx); err != nil {
		m.s.log.Info("d-bus call failed", "op", op, "sender", string(sender), "err", err)
		return toDBusError(err)
	}
	return nil
}

// changeCounting is change for calls that answer with a number: a
// generation, a count of workers.
func (m *manager) changeCounting(sender dbus.Sender, op string, quick bool, do func(context.Context) (int, error)) (uint32, *dbus.Error) {
	var n int
	err := m.change(sender, op, quick, func(ctx context.Context) error {
		var err error
		n, err = do(ctx)
		return err
	})
	return uint32(n), err
}
