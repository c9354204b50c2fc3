package dbusapi

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"
)

// manager implements the Manager interface's methods.
type manager struct{ s *Server }

func (m *manager) Scale(sender dbus.Sender, workers int32, flags uint64) *dbus.Error {
	args := argList(fmt.Sprintf("workers=%d", workers), flagArgs(flags))
	return m.change(sender, "scale", args, true, func(ctx context.Context) error {
		if flags&^ScaleAllowZero != 0 {
			return fmt.Errorf("%w: unknown Scale flags %#x", ErrInvalidArgument, flags&^ScaleAllowZero)
		}
		return m.s.pool.Scale(ctx, int(workers), flags&ScaleAllowZero != 0)
	})
}

func (m *manager) Reload(sender dbus.Sender, flags uint64) (uint32, *dbus.Error) {
	return m.changeCounting(sender, "reload", flagArgs(flags), false, func(ctx context.Context) (int, error) {
		if flags != 0 {
			return 0, fmt.Errorf("%w: unknown Reload flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.Reload(ctx)
	})
}

func (m *manager) RestartWorker(sender dbus.Sender, slot uint32, flags uint64) *dbus.Error {
	args := argList(fmt.Sprintf("slot=%d", slot), flagArgs(flags))
	return m.change(sender, "restart worker", args, false, func(ctx context.Context) error {
		if flags != 0 {
			return fmt.Errorf("%w: unknown RestartWorker flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.RestartWorker(ctx, int(slot))
	})
}

func (m *manager) SignalWorkers(sender dbus.Sender, slot int32, signal int32) *dbus.Error {
	name := unix.SignalName(syscall.Signal(signal))
	if name == "" {
		name = strconv.Itoa(int(signal))
	}
	args := fmt.Sprintf("slot=%d signal=%s", slot, name)
	return m.change(sender, "signal", args, true, func(ctx context.Context) error {
		if slot < -1 {
			return fmt.Errorf("%w: slot %d: want a slot number, or -1 for every worker", ErrInvalidArgument, slot)
		}
		return m.s.pool.SignalWorkers(ctx, int(slot), syscall.Signal(signal))
	})
}

// Broadcast's audit record has the message's size, not the message: it is
// the application's data.
func (m *manager) Broadcast(sender dbus.Sender, data string, flags uint64) (uint32, *dbus.Error) {
	args := argList(fmt.Sprintf("bytes=%d", len(data)), flagArgs(flags))
	return m.changeCounting(sender, "broadcast", args, true, func(ctx context.Context) (int, error) {
		if flags != 0 {
			return 0, fmt.Errorf("%w: unknown Broadcast flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.Broadcast(ctx, []byte(data))
	})
}

func (m *manager) PushConfig(sender dbus.Sender, flags uint64) (uint32, *dbus.Error) {
	return m.changeCounting(sender, "push config", flagArgs(flags), true, func(ctx context.Context) (int, error) {
		if flags != 0 {
			return 0, fmt.Errorf("%w: unknown PushConfig flags %#x", ErrInvalidArgument, flags)
		}
		return m.s.pool.PushConfig(ctx)
	})
}

// Upgrade returns once the new poold is started, not when it is ready: the
// exec ends this poold's connection, so the reply could not come after.
func (m *manager) Upgrade(sender dbus.Sender, flags uint64) (string, *dbus.Error) {
	var to string
	err := m.change(sender, "upgrade", flagArgs(flags), true, func(ctx context.Context) error {
		if flags != 0 {
			return fmt.Errorf("%w: unknown Upgrade flags %#x", ErrInvalidArgument, flags)
		}
		var err error
		to, err = m.s.pool.Upgrade(ctx)
		return err
	})
	return to, err
}

// flagArgs is the audit record's "flags=0x2", or "" for none.
func flagArgs(flags uint64) string {
	if flags == 0 {
		return ""
	}
	return fmt.Sprintf("flags=%#x", flags)
}

// argList joins an audit record's arguments, leaving out empty ones.
func argList(args ...string) string {
	return strings.Join(slices.DeleteFunc(args, func(a string) bool { return a == "" }), " ")
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
// callTimeout when quick, otherwise only by the server's life. The audit
// log records who asked for op with args, and how it went.
func (m *manager) change(sender dbus.Sender, op, args string, quick bool, do func(context.Context) error) *dbus.Error {
	ctx := m.s.ctx
	if quick {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	call := Call{Op: op, Args: args}
	var err error
	call.Caller, err = m.s.auth.Check(ctx, string(sender))
	if call.Caller.Sender == "" {
		call.Caller.Sender = string(sender)
	}
	if err != nil {
		call.Outcome, call.Err = Refused, err
		m.s.audit.Audit(call)
		return toDBusError(err)
	}
	call.Outcome = Accepted
	m.s.audit.Audit(call)
	if err := do(ctx); err != nil {
		call.Outcome, call.Err = Failed, err
		m.s.audit.Audit(call)
		return toDBusError(err)
	}
	return nil
}

// changeCounting is change for calls that answer with a number: a
// generation, a count of workers.
func (m *manager) changeCounting(sender dbus.Sender, op, args string, quick bool, do func(context.Context) (int, error)) (uint32, *dbus.Error) {
	var n int
	err := m.change(sender, op, args, quick, func(ctx context.Context) error {
		var err error
		n, err = do(ctx)
		return err
	})
	return uint32(n), err
}
