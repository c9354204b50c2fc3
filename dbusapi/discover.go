package dbusapi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// Candidates lists the buses poolctl looks for pools on, in order and
// without duplicates: the system bus, the session bus when there is one,
// then the private buses of pools run by hand, base by base in the order of
// rundir.SearchBases and by directory name within a base. A bus whose
// address is a plain unix:path is left out when its socket does not exist;
// a private bus also when its pool's runtime directory is stale.
func Candidates(getenv func(string) string) []Address {
	return candidates(getenv, os.Geteuid())
}

func candidates(getenv func(string) string, uid int) []Address {
	var addrs []Address
	seen := map[string]bool{}
	add := func(kind BusKind, addr string) {
		if !seen[addr] && socketExists(addr) {
			seen[addr] = true
			addrs = append(addrs, Address{Kind: kind, Address: addr})
		}
	}
	add(BusSystem, systemAddress(getenv))
	if addr, ok := sessionAddress(getenv); ok {
		add(BusSession, addr)
	}
	for _, base := range rundir.SearchBases(getenv, uid) {
		for _, sock := range privateBuses(base, uid) {
			add(BusPrivate, unixPath(sock))
		}
	}
	return addrs
}

// socketExists is false for an address that is one unix:path whose socket
// is missing; true for any other address, which only dialling can tell.
func socketExists(addr string) bool {
	path, ok := socketPath(addr)
	return !ok || isSocket(path)
}

// socketPath is the socket of an address that is one unix:path.
func socketPath(addr string) (string, bool) {
	rest, ok := strings.CutPrefix(addr, "unix:path=")
	if !ok || strings.ContainsAny(rest, ",;") {
		return "", false
	}
	path, err := dbus.UnescapeBusAddressValue(rest)
	return path, err == nil
}

// socketOf is the socket of an address that is one unix:path, else the
// address, for people.
func socketOf(addr string) string {
	if path, ok := socketPath(addr); ok {
		return path
	}
	return addr
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
		runDir, ok := rundir.RuntimeDirOf(filepath.Join(base, e.Name()))
		if !ok || !e.IsDir() {
			continue
		}
		busDir := filepath.Join(base, e.Name())
		sock := filepath.Join(busDir, privatebus.SocketName)
		if fileOwner(sock, os.ModeSocket) == owner && alive(busDir, runDir, sock) {
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

// alive tells a live pool's bus from a stale one: poold holds the lock of
// the bus directory while it runs (that of its runtime directory for a
// poold from before bus directories had one). Users who cannot open the
// lock (it is private to the pool's user) try the socket instead, which
// refuses connections once its daemon is gone.
func alive(busDir, runDir, sock string) bool {
	fd, err := unix.Open(filepath.Join(busDir, rundir.LockFile), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.ENOENT) {
		fd, err = unix.Open(filepath.Join(runDir, rundir.LockFile), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	}
	switch {
	case errors.Is(err, unix.EACCES):
		return listening(sock)
	case err != nil:
		return false // no runtime directory, or no lock: stale
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB); err == nil {
		unix.Flock(fd, unix.LOCK_UN)
		return false
	}
	return true
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
