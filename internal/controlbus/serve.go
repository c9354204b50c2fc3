package controlbus

import (
	"context"
	"errors"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/mode"
)

// Serve connects to the bus opts.Mode chooses and calls serve with the
// connection, which exports the pool and takes its name. With
// mode.BusAuto, the bus is the system bus for a system service, else the
// session bus if there is one, else a private bus. On a failure the
// connection is closed; for mode.BusNone Serve returns nil and no error.
// ctx bounds the start only; the connection and the bus last until
// Conn.Close.
//
// This is the one place that falls back to a private bus: with
// mode.BusAuto only, when the shared bus cannot be reached, and when the
// system bus refuses to serve the pool (typically the bus policy is not
// installed, or poold's user is not in the poold group). Another pool of
// the same name (dbusapi.ErrNameTaken) is never a reason to fall back.
func Serve(ctx context.Context, opts Options, serve func(*Conn) error) (*Conn, error) {
	opts = opts.withDefaults()
	c, err := serveOn(ctx, opts, serve)
	if err == nil || !mayFallBack(opts) || ctx.Err() != nil || errors.Is(err, dbusapi.ErrNameTaken) {
		return nilOnError(c, err)
	}
	switch {
	case c == nil:
		opts.Log.Warn("d-bus: falling back to a private bus", "err", err)
	case c.Kind == dbusapi.BusSystem:
		opts.Log.Warn("cannot serve on the system bus; using a private bus", "err", err)
	default:
		return nil, err
	}
	opts.Mode = mode.BusPrivate
	return nilOnError(serveOn(ctx, opts, serve))
}

// mayFallBack: opts is mode.BusAuto and tried a shared bus first.
func mayFallBack(opts Options) bool {
	bus, err := mode.ParseBus(opts.Mode)
	_, _, shared := autoBus(opts)
	return err == nil && bus == mode.BusAuto && shared
}

// serveOn connects and serves. On a failure to serve it returns the
// closed connection too, so that Serve knows which bus refused.
func serveOn(ctx context.Context, opts Options, serve func(*Conn) error) (*Conn, error) {
	c, err := connect(ctx, opts)
	if err != nil || c == nil {
		return nil, err
	}
	if err := serve(c); err != nil {
		return c, errors.Join(err, c.Close())
	}
	return c, nil
}

func nilOnError(c *Conn, err error) (*Conn, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}
