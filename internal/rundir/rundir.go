// Package rundir owns poold's runtime directories: where they go (Base),
// making and keeping one for poold's lifetime (Make, Dir), their locks and
// the pool name's (Lock, LockName), telling live from stale (Stale,
// BusAlive), removing the stale ones (Sweep), and where poolctl looks for
// the private buses of pools run by hand (SearchBases).
//
// Layout under a base directory BASE, which holds the pools of one user:
//
//	BASE/                BaseMode when poold creates it: 0755 for root, 0700
//	                     for others; systemd's RuntimeDirectory= is 0755
//	BASE/NAME.PID/       0700, the pool's runtime directory: LockFile (flock
//	                     held for poold's lifetime), the workers' notify
//	                     sockets (0600), the Node.js package
//	BASE/NAME.PID.bus/   0711, the pool's private bus when it has one (see
//	                     internal/privatebus): a LockFile of its own (0600),
//	                     the socket "bus", reachable by every user who can
//	                     reach BASE, and the dbus-daemon's files
//	BASE/NAME.lock       0600, the pool name's lock (see LockName), holding
//	                     poold's PID: one pool of a name per BASE
//
// Who reaches what: the notify sockets, which poold trusts, only poold's
// user and root; the private bus of a pool of root every local user, who
// may read the pool (the bus policy says what else); the private bus of
// another user's pool that user and root, as BASE is 0700 (in
// $XDG_RUNTIME_DIR too). Nobody else may write BASE: poold removes stale
// entries there, and OpenBase refuses a base that is a symbolic link, not
// poold's user's, writable by group or others, or in a directory where
// another user could replace it. Every removal goes through the os.Root
// OpenBase returns, so none follows a symbolic link out of BASE.
//
// Each directory's liveness is its own lock, never the presence of
// another directory: a runtime directory removed under a running poold
// (systemd removes RuntimeDirectory= when a unit that shares it stops)
// does not make its bus look stale.
package rundir

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	// RootBase is the base of pools run by root outside systemd.
	RootBase = "/run/poold"
	// LockFile is held with flock by the poold owning the directory, a
	// runtime or a bus directory; a directory whose lock nobody holds is
	// stale (see Stale).
	LockFile = "lock"
	// busSuffix names a runtime directory's bus directory.
	busSuffix = ".bus"
	// BaseEnv names the variable that overrides every other rule: poold
	// keeps its runtime directories there and poolctl looks there only (for
	// unusual layouts, and tests that must not see the host's pools).
	BaseEnv = "POOLD_RUNTIME_BASE"
)

// Base is the directory holding the runtime directories of the pools that
// user uid runs with this environment: $POOLD_RUNTIME_BASE when set, else
// systemd's RuntimeDirectory= (its first entry) when set, else RootBase for
// root, else $XDG_RUNTIME_DIR/poold, else $TMPDIR/poold-UID. poold's
// --runtime-dir wins over all of these.
func Base(getenv func(string) string, uid int) string {
	if d := getenv(BaseEnv); d != "" {
		return d
	}
	if d, _, _ := strings.Cut(getenv("RUNTIME_DIRECTORY"), ":"); d != "" {
		return d
	}
	if uid == 0 {
		return RootBase
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "poold")
	}
	return tempBase(tempDir(getenv), uid)
}

// BusDir is the directory of the private bus of the pool whose runtime
// directory is runtimeDir.
func BusDir(runtimeDir string) string { return filepath.Clean(runtimeDir) + busSuffix }

// RuntimeDirOf is the inverse of BusDir; ok is false for other names.
func RuntimeDirOf(busDir string) (runtimeDir string, ok bool) {
	d, ok := strings.CutSuffix(filepath.Clean(busDir), busSuffix)
	return d, ok && d != "" && !strings.HasSuffix(d, "/")
}

// SearchBases lists, first to last and without duplicates, the bases where
// poolctl run by uid looks for private buses: $POOLD_RUNTIME_BASE alone when
// set, else
//
//   - Base for this environment, then RootBase and the directories in it
//     that systemd made for units (RuntimeDirectory=poold/NAME): pools run
//     by root are readable by every local user;
//   - for any other user, the bases its own pools use in other
//     environments ($XDG_RUNTIME_DIR/poold, /run/user/UID/poold,
//     $TMPDIR/poold-UID, /tmp/poold-UID), as poold may have been started
//     from a shell with another environment than poolctl's (ssh, sudo -u);
//   - for root, also the bases of every other user (/run/user/UID/poold,
//     $TMPDIR/poold-UID, /tmp/poold-UID), by UID: root may control any pool,
//     and "poolctl list" is meant to show every pool on the host. Only
//     directories owned by the UID in their path count, so that no user can
//     pass a pool off as another's. They come last, so that a pool of root
//     wins a name clash.
//
// Other users' pools are not searched for non-root users: their names could
// shadow the user's own pools, and changing them is not allowed anyway
// unless in group poold (who can still name the bus explicitly).
func SearchBases(getenv func(string) string, uid int) []string {
	if d := getenv(BaseEnv); d != "" {
		return []string{d}
	}
	return searchBases(getenv, uid, "/run/user")
}

func searchBases(getenv func(string) string, uid int, userRuntime string) []string {
	bases := append([]string{Base(getenv, uid), RootBase}, unitBases(RootBase)...)
	tmps := []string{tempDir(getenv), "/tmp"}
	if uid != 0 {
		if d := getenv("XDG_RUNTIME_DIR"); d != "" {
			bases = append(bases, filepath.Join(d, "poold"))
		}
		bases = append(bases, filepath.Join(userRuntime, strconv.Itoa(uid), "poold"))
		for _, t := range tmps {
			bases = append(bases, tempBase(t, uid))
		}
	} else {
		bases = append(bases, otherUsersBases(userRuntime, tmps)...)
	}
	return dedupe(bases)
}

// unitBases are the bases systemd made for the template units'
// RuntimeDirectory=poold/%i: the directories in root that are neither a
// runtime directory (NAME.PID, which holds LockFile) nor a bus directory.
func unitBases(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var bases []string
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() || strings.HasSuffix(e.Name(), busSuffix) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, LockFile)); err == nil {
			continue
		}
		bases = append(bases, dir)
	}
	return bases
}

// otherUsersBases finds the bases of non-root users, ordered by UID.
func otherUsersBases(userRuntime string, tmps []string) []string {
	type found struct {
		uid  int
		path string
	}
	var all []found
	add := func(pattern string, uidOf func(path string) string) {
		matches, _ := filepath.Glob(pattern) // the only error is a bad pattern
		for _, m := range matches {
			uid, err := strconv.Atoi(uidOf(m))
			if err != nil || uid <= 0 || !ownedDir(m, uid) {
				continue
			}
			all = append(all, found{uid, m})
		}
	}
	add(filepath.Join(userRuntime, "*", "poold"), func(p string) string {
		return filepath.Base(filepath.Dir(p))
	})
	for _, t := range tmps {
		add(filepath.Join(t, "poold-*"), func(p string) string {
			return strings.TrimPrefix(filepath.Base(p), "poold-")
		})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].uid < all[j].uid })
	paths := make([]string, len(all))
	for i, f := range all {
		paths[i] = f.path
	}
	return paths
}

// ownedDir reports whether path is a directory (not a symlink) owned by uid.
func ownedDir(path string, uid int) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir() && ownerOf(fi) == uid
}

func tempDir(getenv func(string) string) string {
	if d := getenv("TMPDIR"); d != "" {
		return d
	}
	return "/tmp"
}

func tempBase(tmp string, uid int) string {
	return filepath.Join(tmp, fmt.Sprintf("poold-%d", uid))
}

func dedupe(paths []string) []string {
	seen := make(map[string]bool, len(paths))
	out := paths[:0]
	for _, p := range paths {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
