package controlbus

import (
	"context"
	"errors"

	"github.com/poold/poold/dbusapi"
)

// Serve connects to the bus opts.Mode chooses (see Connect) and calls serve
// with the connection, which exports the pool and takes its name. This is
// the one place that falls back to a private bus: with BusModeAuto, when
// the shared bus cannot be reached, and when the system bus refuses to
// serve the pool (typically the bus policy is not installed, or poold's
// user is not in the poold group). Another pool of the same name
// (dbusapi.ErrNameTaken) is never a reason to fall back. On a failure the
// connection is closed; for BusModeNone Serve returns nil and no error.
func Serve(ctx context.Context, opts Options, serve func(*Conn) error) (*Conn, error) {
	opts = opts.withDefaults()
	c, err := serveOn(ctx, opts, serve)
	if err == nil || errors.Is(err, dbusapi.ErrNameTaken) || c == nil || c.Kind != dbusapi.BusSystem {
		return nilOnError(c, err)
	}
	if mode, _ := dbusapi.ParseBusMode(opts.Mode); mode != dbusapi.BusModeAuto {
		return nil, err
	}
	opts.Log.Warn("cannot serve on the system bus; using a private bus", "err", err)
	opts.Mode = dbusapi.BusModePrivate
	return nilOnError(serveOn(ctx, opts, serve))
}

// serveOn connects and serves; on a failure to serve it returns the closed
// connection too, so that Serve knows which bus failed.
func serveOn(ctx context.Context, opts Options, serve func(*Conn) error) (*Conn, error) {
	c, err := Connect(ctx, opts)
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
