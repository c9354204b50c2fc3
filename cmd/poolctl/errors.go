package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poold/poold/dbusapi"
)

// report prints err on stderr, one line per error prefixed "poolctl: ", and
// returns the exit code: usage errors (anything before a command began, and
// usageError) are 2, the rest 1.
func (a *app) report(cmd *cobra.Command, err error) int {
	var ue *usageError
	if !a.started || errors.As(err, &ue) {
		path := "poolctl"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.stderr, "poolctl: %s (see '%s --help')\n", oneLine(err.Error()), path)
		return exitUsage
	}
	for _, e := range split(err) {
		fmt.Fprintf(a.stderr, "poolctl: %s%s\n", oneLine(e.Error()), hint(e))
	}
	return exitFailure
}

// split undoes errors.Join so that each error gets its own line.
func split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// hint says what to do about errors people run into.
func hint(err error) string {
	switch {
	case errors.Is(err, dbusapi.ErrNotPermitted):
		return " (changing a pool needs root or membership in the poold group)"
	case errors.Is(err, dbusapi.ErrBusy):
		return " (a reload, restart or upgrade is in progress; try again when it ends)"
	case errors.Is(err, context.DeadlineExceeded):
		return " (gave up waiting; a change may still complete in the pool)"
	case errors.Is(err, context.Canceled):
		return " (interrupted; a change may still complete in the pool)"
	}
	return ""
}

// poolError names the pool in the server's own messages, which do not.
func poolError(name string, err error) error {
	var de *dbusapi.Error
	if errors.As(err, &de) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return err
}

// oneLine keeps a message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// noPoolError: the pool is on none of the buses poolctl reached.
type noPoolError struct {
	name  string
	where string // see buses.where
}

func (e *noPoolError) Error() string {
	return fmt.Sprintf("no pool named %q (%s); see 'poolctl list'", e.name, e.where)
}

func (e *noPoolError) Unwrap() error { return dbusapi.ErrNoSuchPool }

// notRunningError: the pool is on no bus, but systemd knows its units.
type notRunningError struct{ pool unitPool }

func (e *notRunningError) Error() string {
	s := e.pool.line()
	if e.pool.state == stateIdle || e.pool.state == stateStopped {
		s += fmt.Sprintf("; systemctl start %s starts it now", e.pool.service.Unit)
	}
	return s
}

func (e *notRunningError) Unwrap() error { return dbusapi.ErrNoSuchPool }
