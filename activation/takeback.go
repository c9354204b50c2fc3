package activation

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"

	"github.com/poold/poold/internal/listenspec"
	"golang.org/x/sys/unix"
)

// TakeBack matches the sockets a previous poold bound for its --listen
// values and stored (ListenStoreName(i), for specs[i]) with specs, as
// they are now. kept[i] is the socket spec i gets back, renamed to its
// FDName; a zero Socket (nil File) when none fits, for Bind to make. It
// closes the stored sockets that fit no spec and returns them in unfit,
// each with the reason: the caller removes them from the store, or they
// keep listening, in systemd, for nobody.
//
// A stored socket fits spec i when it listens on the spec's address (any
// port for port 0) and, with SharePort, has SO_REUSEPORT.
func TakeBack(specs []ListenSpec, stored []Socket, opts ...BindOption) (kept []Socket, unfit []*StoredError) {
	kept = make([]Socket, len(specs))
	sharePort := slices.Contains(opts, SharePort)
	for _, s := range stored {
		i, ok := ParseListenStoreName(s.Name)
		var err error
		switch {
		case !ok:
			err = errors.New("not a --listen socket")
		case i >= len(specs):
			err = fmt.Errorf("poold has %d --listen addresses now", len(specs))
		case kept[i].File != nil:
			err = errors.New("stored twice")
		default:
			err = fits(specs[i], s, sharePort)
		}
		if err != nil {
			s.File.Close()
			unfit = append(unfit, &StoredError{Name: s.Name, Err: fmt.Errorf("%s: %w", s.Addr, err)})
			continue
		}
		s.Name = specs[i].FDName()
		if s.Backlog <= 0 {
			s.Backlog = unix.SOMAXCONN // as Bind made it: backlogOf reads TCP's only
		}
		kept[i] = s
	}
	return kept, unfit
}

// fits tells why s cannot serve spec, or nil when it can.
func fits(spec ListenSpec, s Socket, sharePort bool) error {
	switch spec.Network {
	case "tcp":
		if err := sameInet(spec.Address, s); err != nil {
			return err
		}
		on, err := ReusePort(s)
		if err != nil {
			return err
		}
		if sharePort && !on {
			return errors.New("no SO_REUSEPORT, which the distribution needs")
		}
		return nil
	case "unix":
		if s.Network != "unix" || s.Addr != spec.Address {
			return fmt.Errorf("not %s", spec.Addr())
		}
		return socketFileExists(spec.Address)
	}
	return fmt.Errorf("network %q: want tcp or unix", spec.Network)
}

// sameInet tells whether s listens where Bind would bind address.
func sameInet(address string, s Socket) error {
	ip, port, err := listenspec.ParseInet(address)
	if err != nil {
		return err
	}
	got, err := netip.ParseAddrPort(s.Addr)
	if err != nil || (s.Network != "tcp" && s.Network != "tcp6") {
		return fmt.Errorf("not a TCP socket (%s %s)", s.Network, s.Addr)
	}
	gotIP := got.Addr().WithZone("")
	sameHost := gotIP == ip
	if !ip.IsValid() { // ":PORT": the IPv6 wildcard, or IPv4's without IPv6
		sameHost = gotIP == netip.IPv6Unspecified() || gotIP == netip.IPv4Unspecified()
	}
	if !sameHost || (port != 0 && got.Port() != port) {
		return fmt.Errorf("not %s", address)
	}
	return nil
}

// socketFileExists tells whether a unix socket's path still leads to a
// socket: one deleted or replaced since is unreachable. An abstract
// socket has no file.
func socketFileExists(path string) error {
	if path == "" || path[0] == '@' {
		return nil
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("its socket file is gone")
	case err != nil:
		return err
	case fi.Mode().Type() != fs.ModeSocket:
		return errors.New("its path is no longer a socket")
	}
	return nil
}
