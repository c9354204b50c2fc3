package bustest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// User is who Send runs dbus-send as.
type User struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups
}

// RequireRoot skips the test unless it runs as root, which it needs to run
// processes as other users or to create groups.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to act as other users")
	}
}

// Nobody is the user nobody, with no supplementary groups, plus groups.
func Nobody(t testing.TB, groups ...uint32) User {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody: ", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return User{UID: uint32(uid), GID: uint32(gid), Groups: groups}
}

// TempGroup creates a system group named name with the given members,
// removed when the test ends, and returns its gid. It needs root.
func TempGroup(t testing.TB, name string, members ...string) uint32 {
	t.Helper()
	RequireRoot(t)
	args := []string{"--system", name}
	if len(members) > 0 {
		args = append(args, "--users", strings.Join(members, ","))
	}
	if out, err := exec.Command("groupadd", args...).CombinedOutput(); err != nil {
		t.Fatalf("groupadd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("groupdel", name).CombinedOutput(); err != nil {
			t.Errorf("groupdel %s: %v: %s", name, err, out)
		}
	})
	g, err := user.LookupGroup(name)
	if err != nil {
		t.Fatal(err)
	}
	gid, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(gid)
}

// Send runs dbus-send --print-reply as u (the test's own user when u is nil)
// on the bus at addr, calling method ("interface.Member") of path at dest
// with dbus-send's typed args ("int32:3"). It returns dbus-send's output and
// an error holding it if the call failed, e.g. with
// org.freedesktop.DBus.Error.AccessDenied.
func Send(t testing.TB, addr string, u *User, dest, path, method string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(30*time.Second))
	defer cancel()
	argv := append([]string{"--bus=" + addr, "--print-reply", "--reply-timeout=20000",
		"--dest=" + dest, path, method}, args...)
	cmd := exec.CommandContext(ctx, "dbus-send", argv...)
	cmd.Env = []string{}
	if u != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
			Uid: u.UID, Gid: u.GID, Groups: u.Groups,
		}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dbus-send %s as %v: %w: %s", method, u, err, out)
	}
	return string(out), nil
}
