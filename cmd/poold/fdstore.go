package main

import (
	"errors"
	"log/slog"
	"time"

	"github.com/poold/poold/activation"
)

// storeBarrier bounds the wait for systemd to close the stored sockets
// poold drops before binding their addresses anew.
const storeBarrier = 5 * time.Second

// fdStore keeps the --listen sockets poold binds in systemd's fd store,
// so that a poold restarted after a crash serves on the same sockets,
// with the connections queued on them (docs/systemd.md). Outside systemd
// it does nothing.
type fdStore struct {
	n   *activation.Notifier
	log *slog.Logger
}

// bindListen takes back the stored sockets that still fit specs, binds
// the others and stores what it bound.
func (s fdStore) bindListen(specs []activation.ListenSpec, stored []activation.Socket, opts []activation.BindOption) ([]activation.Socket, error) {
	kept, unfit := activation.TakeBack(specs, stored, opts...)
	s.forget(unfit)
	if len(unfit) > 0 {
		// Their addresses may be bound again below: systemd's copies must
		// be closed first, or bind(2) finds them in use.
		if err := s.n.Barrier(storeBarrier); err != nil {
			s.log.Warn("fd store: systemd may still hold the dropped sockets", "err", err)
		}
	}
	socks := make([]activation.Socket, len(specs))
	for i, spec := range specs {
		if kept[i].File != nil {
			socks[i] = kept[i]
			logSockets(s.log, "socket taken back from systemd's fd store", socks[i:i+1])
			continue
		}
		bound, err := activation.Bind([]activation.ListenSpec{spec}, opts...)
		if err != nil {
			activation.CloseAll(keptOrBound(socks, kept))
			return nil, err
		}
		socks[i] = bound[0]
		logSockets(s.log, "sockets bound", bound)
		if err := s.n.StoreFDs(activation.ListenStoreName(i), bound[0].File); err != nil {
			s.log.Warn("fd store: keep a --listen socket", "addr", bound[0].Addr, "err", err)
		}
	}
	return socks, nil
}

// keptOrBound is every socket made so far, and the kept ones not reached.
func keptOrBound(socks, kept []activation.Socket) []activation.Socket {
	var all []activation.Socket
	for i := range socks {
		switch {
		case socks[i].File != nil:
			all = append(all, socks[i])
		case kept[i].File != nil:
			all = append(all, kept[i])
		}
	}
	return all
}

// drop closes stored sockets poold does not want and has systemd close
// its copies.
func (s fdStore) drop(stored []activation.Socket, reason string) {
	var unwanted []*activation.StoredError
	for _, st := range stored {
		st.File.Close()
		unwanted = append(unwanted, &activation.StoredError{Name: st.Name, Err: errors.New(reason)})
	}
	s.forget(unwanted)
}

// forget logs why each stored fd is not taken back and removes it from
// the store.
func (s fdStore) forget(unwanted []*activation.StoredError) {
	for _, u := range unwanted {
		s.log.Warn("fd store: dropped a socket a previous poold kept", "name", u.Name, "reason", u.Err)
		if err := s.n.RemoveFDs(u.Name); err != nil {
			s.log.Warn("fd store: remove a socket", "name", u.Name, "err", err)
		}
	}
}
