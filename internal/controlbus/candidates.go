package controlbus

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// Candidates lists the buses poolctl looks for pools on, in order and
// without duplicates: the system bus, the session bus when there is one,
// then the private buses of pools run by hand, base by base in the order of
// rundir.SearchBases and by directory name within a base. A bus whose
// address is a plain unix:path is left out when its socket does not exist;
// a private bus also when its pool's runtime directory is stale.
func Candidates(getenv func(string) string) []dbusapi.Address {
	return candidates(getenv, os.Geteuid())
}

func candidates(getenv func(string) string, uid int) []dbusapi.Address {
	var addrs []dbusapi.Address
	seen := map[string]bool{}
	add := func(kind dbusapi.BusKind, addr string) {
		if !seen[addr] && socketExists(addr) {
			seen[addr] = true
			addrs = append(addrs, dbusapi.Address{Kind: kind, Address: addr})
		}
	}
	add(dbusapi.BusSystem, systemAddress(getenv))
	if addr, ok := sessionAddress(getenv); ok {
		add(dbusapi.BusSession, addr)
	}
	for _, base := range rundir.SearchBases(getenv, uid) {
		for _, sock := range privateBuses(base, uid) {
			add(dbusapi.BusPrivate, unixPath(sock))
		}
	}
	return addrs
}

// socketExists is false for an address that is one unix:path whose socket
// is missing; true for any other address, which only dialling can tell.
func socketExists(addr string) bool {
	path, ok := dbusapi.Address{Address: addr}.Socket()
	return !ok || isSocket(path)
}

// privateBuses lists the sockets of the live private buses in base. It
// trusts a base owned by root or by uid (any owner for root), writable by
// its owner only, and a socket only of the base's owner: no other user can
// pass a bus of theirs off as one of these pools.
func privateBuses(base string, uid int) []string {
	owner, ok := trustedBase(base, uid)
	if !ok {
		return nil
	}
	entries, err := os.ReadDir(base) // sorted by name
	if err != nil {
		return nil
	}
	var socks []string
	for _, e := range entries {
		if _, ok := rundir.RuntimeDirOf(e.Name()); !ok || !e.IsDir() {
			continue
		}
		busDir := filepath.Join(base, e.Name())
		sock := filepath.Join(busDir, privatebus.SocketName)
		if fileOwner(sock, os.ModeSocket) == owner && alive(busDir, sock) {
			socks = append(socks, sock)
		}
	}
	return socks
}

func trustedBase(base string, uid int) (owner int, ok bool) {
	fi, err := os.Lstat(base)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return 0, false
	}
	owner = fileOwner(base, os.ModeDir)
	return owner, owner == 0 || owner == uid || uid == 0 && owner > 0
}

// fileOwner is the uid owning path if it is of type typ (not a symlink),
// else -1.
func fileOwner(path string, typ os.FileMode) int {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != typ {
		return -1
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1
	}
	return int(st.Uid)
}

// alive tells a live pool's bus from a stale one by its directory's lock
// (see rundir.BusAlive). Users who cannot open the lock (it is private to
// the pool's user) try the socket instead, which refuses connections once
// its daemon is gone.
func alive(busDir, sock string) bool {
	switch rundir.BusAlive(busDir) {
	case rundir.Alive:
		return true
	case rundir.Unknown:
		return listening(sock)
	}
	return false
}

// listening reports whether something accepts connections on sock; a
// non-blocking connect returns at once either way.
func listening(sock string) bool {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return true // cannot tell: let dialling decide
	}
	defer unix.Close(fd)
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: sock})
	return err == nil || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINPROGRESS)
}
