package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"sync/atomic"
	"testing"

	"github.com/poold/poold/internal/bustest"
)

// localUser is a user a test runs processes as.
type localUser struct{ name, uid, gid string }

// users counts the users tempUser added, for unique names.
var users atomic.Int32

// tempUser adds a system user for the test, removed when it ends.
func tempUser(t *testing.T) localUser {
	t.Helper()
	bustest.RequireRoot(t)
	name := fmt.Sprintf("poold-t%d-%d", os.Getpid(), users.Add(1))
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	return lookupUser(t, name)
}

func lookupUser(t *testing.T, name string) localUser {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Skipf("no user %s: %v", name, err)
	}
	return localUser{name: u.Username, uid: u.Uid, gid: u.Gid}
}

// as is the wrap that runs poold as u, in the same process (setpriv execs).
func (u localUser) as() []string {
	return []string{"setpriv", "--reuid", u.uid, "--regid", u.gid, "--init-groups", "--"}
}

// run runs a shell command as u with runuser, and fails the test if it
// fails.
func (u localUser) run(t *testing.T, script string, env ...string) {
	t.Helper()
	argv := append([]string{"runuser", "-u", u.name, "--", "env"}, env...)
	out, err := exec.Command(argv[0], append(argv[1:], "sh", "-c", script)...).CombinedOutput()
	if err != nil {
		t.Fatalf("as %s: %s: %v: %s", u.name, script, err, out)
	}
}

// sharedTmp is a directory like /tmp, of the test's own: anyone may create
// in it, and nobody may remove or rename what another created (sticky).
func sharedTmp(t *testing.T) string {
	t.Helper()
	dir := shortBase(t)
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	return dir
}

// userPoolEnv is the environment of a poold run by hand by a user without
// XDG_RUNTIME_DIR (sudo -u, su, cron): its base is $TMPDIR/poold-UID.
func userPoolEnv(tmp string) []string {
	return []string{"TMPDIR=" + tmp, "XDG_RUNTIME_DIR=", "POOLD_RUNTIME_BASE=", "RUNTIME_DIRECTORY="}
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
