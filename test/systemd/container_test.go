package systemd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// bound ends a wait that something in the container should end in
// seconds; boot, restarts and drains take well under it. It grows with
// $POOLD_TEST_TIMEOUT_FACTOR (see package testbound).
var bound = testbound.Scale(60 * time.Second)

// container is a booted Debian with systemd as its PID 1.
type container struct {
	t      *testing.T
	root   string
	nspawn *exec.Cmd
	leader int // the container's PID 1, in the host's PID namespace
	exited chan struct{}
	cgroup string
}

// requireContainers skips the test where the machine cannot run one.
func requireContainers(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("systemd-nspawn needs root")
	}
	for _, tool := range []string{"systemd-nspawn", "mmdebstrap", "nsenter", "zstd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: install systemd-container, mmdebstrap and zstd (scripts/deps.sh does)", tool)
		}
	}
}

// boot unpacks the root filesystem, copies files into its /var/tmp/e2e and
// boots it; the container is powered off when the test ends.
func boot(t *testing.T, files ...string) *container {
	t.Helper()
	requireContainers(t)
	tarball := rootfs(t)
	root, err := os.MkdirTemp("/var/tmp", "poold-systemd-root-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if out, err := exec.Command("tar", "-C", root, "-I", "zstd", "-xf", tarball).CombinedOutput(); err != nil {
		t.Fatalf("unpack the root filesystem: %v\n%s", err, out)
	}
	stage := filepath.Join(root, "var/tmp/e2e") // not /tmp: a tmpfs inside
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if out, err := exec.Command("cp", "-a", f, stage+"/").CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v\n%s", f, err, out)
		}
	}
	c := &container{t: t, root: root, exited: make(chan struct{}), cgroup: fmt.Sprintf("poold-e2e-%d", time.Now().UnixNano())}
	c.start()
	t.Cleanup(c.powerOff)
	return c
}

// start runs systemd-nspawn in a cgroup of its own (it makes its own
// below the one it starts in; the host has no systemd to do that), and
// waits until the container's systemd answers.
func (c *container) start() {
	t := c.t
	var console bytes.Buffer
	script := `for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
  [ -w $h/cgroup.procs ] && mkdir -p $h/$CG && echo $$ > $h/$CG/cgroup.procs || true
done
exec systemd-nspawn -D "$ROOT" --boot --register=no --keep-unit --quiet --console=pipe --private-network --machine=$CG`
	c.nspawn = exec.Command("sh", "-c", script)
	c.nspawn.Env = append(os.Environ(), "CG="+c.cgroup, "ROOT="+c.root, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	c.nspawn.Stdout, c.nspawn.Stderr = &console, &console
	if err := c.nspawn.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.nspawn.Wait(); close(c.exited) }()
	deadline := time.Now().Add(bound)
	for c.leader == 0 || !exists(fmt.Sprintf("/proc/%d/root/run/systemd/private", c.leader)) {
		select {
		case <-c.exited:
			t.Fatalf("systemd-nspawn exited: %s", console.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the container did not boot within %v: %s", bound, console.String())
		}
		c.leader = systemdChild(c.nspawn.Process.Pid)
		time.Sleep(20 * time.Millisecond) // polling the container's boot; nothing to wait on from here
	}
	out, _ := c.run("timeout", fmt.Sprint(int(bound.Seconds())), "systemctl", "is-system-running", "--wait")
	if strings.TrimSpace(out) != "running" {
		failed, _ := c.run("systemctl", "--failed", "--no-pager")
		t.Fatalf("container state %q:\n%s", strings.TrimSpace(out), failed)
	}
}

// systemdChild is the PID of the process called systemd among nspawn's
// children: the container's PID 1.
func systemdChild(nspawn int) int {
	children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", nspawn, nspawn))
	for _, f := range strings.Fields(string(children)) {
		var pid int
		fmt.Sscan(f, &pid)
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "systemd" {
			return pid
		}
	}
	return 0
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// run runs a command inside the container and returns its combined output.
func (c *container) run(argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	args := append([]string{"-t", fmt.Sprint(c.leader), "-a"}, argv...)
	out, err := exec.CommandContext(ctx, "nsenter", args...).CombinedOutput()
	return string(out), err
}

// must runs a command inside the container and fails the test if it fails.
func (c *container) must(argv ...string) string {
	c.t.Helper()
	out, err := c.run(argv...)
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return out
}

// sh runs a shell command line inside the container.
func (c *container) sh(script string) (string, error) { return c.run("sh", "-c", script) }

// waitFor runs check until it reports true; what is waited for happens in
// the container, which the test can only poll.
func (c *container) waitFor(what string, check func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(bound)
	for !check() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dumpJournalOnFailure logs the unit's journal if the test fails, before
// the container goes.
func (c *container) dumpJournalOnFailure(unit string) {
	c.t.Cleanup(func() {
		if c.t.Failed() {
			out, _ := c.run("journalctl", "--no-pager", "-n", "80", "-u", unit)
			c.t.Logf("journal of %s:\n%s", unit, out)
		}
	})
}

// powerOff halts the container and removes the cgroups nspawn made.
func (c *container) powerOff() {
	if c.leader != 0 {
		c.run("systemctl", "poweroff")
	}
	select {
	case <-c.exited:
	case <-time.After(bound):
		c.nspawn.Process.Signal(syscall.SIGTERM) // nspawn halts the container
		<-c.exited
	}
	for _, h := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup"} {
		removeCgroup(filepath.Join(h, c.cgroup))
	}
}

// removeCgroup removes a cgroup tree depth-first.
func removeCgroup(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeCgroup(filepath.Join(dir, e.Name()))
		}
	}
	os.Remove(dir)
}
