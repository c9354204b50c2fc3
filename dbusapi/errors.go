package dbusapi

import (
	"errors"

	"github.com/godbus/dbus/v5"
)

// Sentinel errors, one per D-Bus error name. The server maps errors that
// match them (errors.Is) to the named D-Bus error; the client turns the named
// D-Bus error back into an *Error that matches them.
var (
	ErrInvalidArgument = errors.New("invalid argument")
	ErrBusy            = errors.New("busy")
	ErrNotPermitted    = errors.New("not permitted")
	ErrShuttingDown    = errors.New("pool is shutting down")
	ErrNoSuchWorker    = errors.New("no such worker")
	ErrReloadFailed    = errors.New("reload failed")
	ErrUpgradeFailed   = errors.New("upgrade failed")
)

var errorNames = map[error]string{
	ErrInvalidArgument: ErrorInvalidArgument,
	ErrBusy:            ErrorBusy,
	ErrNotPermitted:    ErrorNotPermitted,
	ErrShuttingDown:    ErrorShuttingDown,
	ErrNoSuchWorker:    ErrorNoSuchWorker,
	ErrReloadFailed:    ErrorReloadFailed,
	ErrUpgradeFailed:   ErrorUpgradeFailed,
}

// Error is a named D-Bus error received by the client.
type Error struct {
	Name    string // e.g. ErrorBusy
	Message string // the server's explanation, meant for people
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, ErrBusy) true for an Error named ErrorBusy, and so on.
func (e *Error) Is(target error) bool { return errorNames[target] == e.Name && e.Name != "" }

// toDBusError is the reply for a failed call: the named error of the first
// sentinel err matches, or ErrorInternal.
func toDBusError(err error) *dbus.Error {
	name := ErrorInternal
	for sentinel, n := range errorNames {
		if errors.Is(err, sentinel) {
			name = n
			break
		}
	}
	return dbus.NewError(name, []any{err.Error()})
}

// ErrNoSuchPool: no pool of that name is on the bus (or on any bus found).
var ErrNoSuchPool = errors.New("no such pool")

// fromDBusError turns a D-Bus error reply to op into an *Error when it is
// one of ours or access was denied by the bus; other errors pass unchanged.
func fromDBusError(op string, err error) error {
	var de dbus.Error
	if !asDBusError(err, &de) {
		return err
	}
	msg := de.Error()
	if de.Name == "org.freedesktop.DBus.Error.AccessDenied" {
		// The daemon's message is a dump of the matched rule: too much for
		// a person, and the bus log has it.
		return &Error{Name: ErrorNotPermitted, Message: op + " not permitted by the bus policy"}
	}
	for _, n := range errorNames {
		if de.Name == n {
			return &Error{Name: n, Message: msg}
		}
	}
	return err
}

// asDBusError finds a D-Bus error reply in err's chain; godbus returns both
// dbus.Error and *dbus.Error.
func asDBusError(err error, target *dbus.Error) bool {
	if errors.As(err, target) {
		return true
	}
	var p *dbus.Error
	if errors.As(err, &p) && p != nil {
		*target = *p
		return true
	}
	return false
}
