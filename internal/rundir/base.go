package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// BaseMode is the mode poold gives a base it creates for uid: 0755 for
// root, whose pools' private buses every local user may read, 0700 for
// any other user, whose pools only that user and root reach (as in
// $XDG_RUNTIME_DIR, which is 0700).
func BaseMode(uid int) fs.FileMode {
	if uid == 0 {
		return 0o755
	}
	return 0o700
}

// UnsafeBaseError reports a base that poold will not use: another user
// could plant or swap what poold trusts or removes there.
type UnsafeBaseError struct {
	Path    string
	UID     int
	Problem string // e.g. "is a symbolic link"
}

func (e *UnsafeBaseError) Error() string {
	return fmt.Sprintf("runtime directory base %s %s; it must be a directory of uid %d that no other user can write "+
		"(poold keeps its workers' notify sockets there and removes stale entries): remove it if it is not yours, "+
		"or give poold a directory of its own with XDG_RUNTIME_DIR, --runtime-dir DIR or %s=DIR",
		e.Path, e.Problem, e.UID, BaseEnv)
}

// OpenBase opens base for poold run by uid, creating it with BaseMode and
// any missing parents. It refuses, with an *UnsafeBaseError, a base that
// is a symbolic link, not a directory, owned by another user or writable
// by group or others, and one whose parent another user could rename it
// in. The Root it returns is the directory it checked, wherever that is
// moved later: every sweep and removal goes through it.
func OpenBase(base string, uid int) (*os.Root, error) {
	base, err := filepath.Abs(base)
	if err != nil {
		return nil, fmt.Errorf("runtime directory base: %w", err)
	}
	created, err := makeBase(base, BaseMode(uid))
	if err != nil {
		return nil, fmt.Errorf("runtime directory base: %w", err)
	}
	if err := checkParent(base, uid); err != nil {
		return nil, err
	}
	before, err := os.Lstat(base)
	if err != nil {
		return nil, fmt.Errorf("runtime directory base: %w", err)
	}
	if err := checkBase(base, uid, before); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("runtime directory base: %w", err)
	}
	if err := sameDir(root, base, uid, before, created); err != nil {
		root.Close()
		return nil, err
	}
	return root, nil
}

// makeBase creates base unless it exists, and says whether it did.
func makeBase(base string, mode fs.FileMode) (bool, error) {
	err := os.Mkdir(base, mode)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
			return false, err
		}
		err = os.Mkdir(base, mode)
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// sameDir checks that root is the directory Lstat saw (not one swapped in
// since), and gives a base poold created its mode, whatever the umask.
func sameDir(root *os.Root, base string, uid int, before fs.FileInfo, created bool) error {
	after, err := root.Stat(".")
	if err != nil {
		return fmt.Errorf("runtime directory base: %w", err)
	}
	if !os.SameFile(before, after) {
		return &UnsafeBaseError{Path: base, UID: uid, Problem: "was replaced while poold checked it"}
	}
	if !created {
		return nil
	}
	if err := root.Chmod(".", BaseMode(uid)); err != nil {
		return fmt.Errorf("runtime directory base: %w", err)
	}
	return nil
}

// checkBase checks what Lstat says of base.
func checkBase(base string, uid int, fi fs.FileInfo) error {
	problem := ""
	owner := ownerOf(fi)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		problem = "is a symbolic link"
	case !fi.IsDir():
		problem = "is not a directory"
	case owner != uid:
		problem = fmt.Sprintf("is owned by uid %d", owner)
	case fi.Mode().Perm()&0o022 != 0:
		problem = fmt.Sprintf("is writable by group or others (mode %04o)", fi.Mode().Perm())
	}
	if problem != "" {
		return &UnsafeBaseError{Path: base, UID: uid, Problem: problem}
	}
	return nil
}

// checkParent refuses a base that someone else could rename away and
// replace: its parent must belong to root or uid, and be sticky if others
// can write it (as /tmp is).
func checkParent(base string, uid int) error {
	parent := filepath.Dir(base)
	fi, err := os.Stat(parent)
	if err != nil {
		return fmt.Errorf("runtime directory base: %w", err)
	}
	owner := ownerOf(fi)
	problem := ""
	switch {
	case owner != 0 && owner != uid:
		problem = fmt.Sprintf("is in %s, owned by uid %d", parent, owner)
	case fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0:
		problem = fmt.Sprintf("is in %s, which others can write and which is not sticky (mode %04o)", parent, fi.Mode().Perm())
	}
	if problem != "" {
		return &UnsafeBaseError{Path: base, UID: uid, Problem: problem}
	}
	return nil
}

func ownerOf(fi fs.FileInfo) int {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1
	}
	return int(st.Uid)
}
