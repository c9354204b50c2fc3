package systemd

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cgWorker is a worker whose child leaves its process group and session
// (setsid), as a daemonizing tool would: only its cgroup still holds it.
const cgWorker = `#!/bin/sh
setsid sleep 31536000 &
exec sleep 31536001
`

// escapees are the PIDs of the escaped children, as "pgrep" lists them.
const escapeePattern = "^sleep 31536000$"

// cgPoolStatus is the part of poolctl status --json this test reads.
type cgPoolStatus struct {
	Pool struct {
		WorkerCgroups string `json:"worker_cgroups"`
		Bus           string `json:"bus"`
		MainPID       int    `json:"main_pid"`
		ReadyWorkers  int    `json:"ready_workers"`
	} `json:"pool"`
	Workers []struct {
		Slot  int    `json:"slot"`
		PID   int    `json:"pid"`
		State string `json:"state"`
	} `json:"workers"`
}

func cgStatus(c *container, pool string) cgPoolStatus { return statusOf[cgPoolStatus](c, pool) }

// cgroupOf is the cgroup of a process in the container, as the container
// sees it (its cgroup namespace).
func cgroupOf(c *container, pid string) string {
	c.t.Helper()
	out, err := c.run("cat", "/proc/"+pid+"/cgroup")
	if err != nil {
		return "gone"
	}
	for _, line := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

// escapees maps each escaped child to its cgroup.
func escapees(c *container) map[string]string {
	out, _ := c.run("pgrep", "-f", escapeePattern)
	m := map[string]string{}
	for _, pid := range strings.Fields(out) {
		m[pid] = cgroupOf(c, pid)
	}
	return m
}

func escapeeIn(c *container, cgroup string) string {
	for pid, cg := range escapees(c) {
		if cg == cgroup {
			return pid
		}
	}
	return ""
}

func unitProp(c *container, unit, prop string) string {
	return strings.TrimSpace(c.must("systemctl", "show", "-P", prop, unit))
}

// Per-worker cgroups under a real systemd, on a pure cgroup v2 hierarchy,
// with the packaged unit's Delegate=yes: poold in supervisor/, each worker
// in worker-SLOT-ID/, a worker's escaped child killed with it when it is
// killed, restarted or reloaded; the fallbacks: --worker-memory-max
// refused without the memory controller, Delegate=no reported in status;
// and a pool run as another user (poolctl init --user).
//
// The memory controller is not delegated here: the hosts these tests run
// on have every controller on cgroup v1 (their unified hierarchy offers
// none), so the container's cgroup v2 tree has none either. memory.high,
// memory.max and OOM attribution are tested against a fake cgroup tree in
// internal/cgroup.
func TestWorkerCgroupsUnderSystemd(t *testing.T) {
	t.Parallel()
	deb, _ := packages(t)
	c := boot(t, deb)
	const pool, unit = "cg", "cg.service"
	c.dumpJournalOnFailure(unit)
	c.must("dpkg", "-i", "/var/tmp/e2e/"+filepath.Base(deb))
	c.must("sh", "-c", "cat > /usr/local/bin/cg-worker <<'EOF'\n"+cgWorker+"EOF\nchmod +x /usr/local/bin/cg-worker")
	c.must("poolctl", "init", pool, "--listen", "127.0.0.1:18092", "--workers", "2", "--", "/usr/local/bin/cg-worker")
	conf := "/etc/poold/" + pool + ".conf"
	c.must("sh", "-c", "printf 'ready = delay\\nready-delay = 200ms\\nstop-timeout = 5s\\n' >> "+conf)
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", unit)
	ready := func() bool { return strings.Contains(unitProp(c, unit, "StatusText"), "2/2 workers ready") }
	c.waitFor("2/2 workers ready", ready)

	if d := unitProp(c, unit, "Delegate"); d != "yes" {
		t.Errorf("Delegate=%s, want yes", d)
	}
	service := unitProp(c, unit, "ControlGroup")
	st := cgStatus(c, pool)
	if want := "per worker (delegated; no controllers: memory read from /proc)"; st.Pool.WorkerCgroups != want {
		t.Errorf("worker_cgroups %q, want %q", st.Pool.WorkerCgroups, want)
	}
	if cg := cgroupOf(c, fmt.Sprint(st.Pool.MainPID)); cg != service+"/supervisor" {
		t.Errorf("poold is in %s, want %s/supervisor", cg, service)
	}
	if st.Pool.Bus != "system" { // poold still knows its unit from below it
		t.Errorf("bus %q, want system", st.Pool.Bus)
	}
	if out := c.must("poolctl", "status", pool); !strings.Contains(out, "Cgroups: per worker (delegated") {
		t.Errorf("poolctl status:\n%s", out)
	}
	workerCgroup := workerCgroupOf(service)
	cgroups := map[int]string{}
	for _, w := range st.Workers {
		cg := cgroupOf(c, fmt.Sprint(w.PID))
		if m := workerCgroup.FindStringSubmatch(cg); m == nil || m[1] != fmt.Sprint(w.Slot) {
			t.Errorf("worker %d of slot %d is in %s, want %s/worker-%d-ID", w.PID, w.Slot, cg, service, w.Slot)
		}
		if escapeeIn(c, cg) == "" {
			t.Errorf("no escaped child in %s: %v", cg, escapees(c))
		}
		cgroups[w.Slot] = cg
	}
	t.Logf("%s: %s; workers in %v; escapees %v", service, st.Pool.WorkerCgroups, cgroups, escapees(c))
	if t.Failed() {
		return
	}

	// SIGKILL behind poold's back: the escaped child dies with the worker,
	// the cgroup is removed, and the slot gets a new worker and cgroup.
	victim := escapeeIn(c, cgroups[0])
	c.must("kill", "-KILL", fmt.Sprint(st.Workers[0].PID))
	c.waitFor("the escapee of the killed worker gone", func() bool { return cgroupOf(c, victim) == "gone" })
	c.waitFor("its cgroup removed", func() bool {
		_, err := c.run("test", "-d", "/sys/fs/cgroup"+cgroups[0])
		return err != nil
	})
	c.waitFor("2/2 ready again", ready)

	// A restart (SIGTERM to the worker's process group, which the escapee
	// left): the escapee goes too.
	victim = escapeeIn(c, cgroups[1])
	c.must("poolctl", "restart", pool, "1")
	c.waitFor("the escapee of the restarted worker gone", func() bool { return cgroupOf(c, victim) == "gone" })

	// systemctl reload: ExecReload= runs in systemd's .control/ beside
	// poold's cgroups; every escapee of the old workers goes.
	before := escapees(c)
	c.must("systemctl", "reload", unit)
	c.waitFor("the old workers' escapees gone", func() bool {
		after := escapees(c)
		for pid := range before {
			if _, ok := after[pid]; ok {
				return false
			}
		}
		return len(after) == 2
	})
	journal := c.must("journalctl", "--no-pager", "-o", "cat", "-u", unit)
	if !strings.Contains(journal, "worker cgroups") || !strings.Contains(journal, "per worker (delegated") {
		t.Errorf("no worker cgroups line in the journal")
	}

	// --worker-memory-max without the memory controller: refused, saying why.
	c.must("sh", "-c", "echo 'worker-memory-max = 64M' >> "+conf)
	if out, err := c.run("systemctl", "restart", unit); err == nil {
		t.Errorf("poold started with --worker-memory-max and no memory controller: %s", out)
	}
	journal = c.must("journalctl", "--no-pager", "-o", "cat", "-u", unit)
	if !strings.Contains(journal, "--worker-memory-max 64 MiB needs the memory controller") {
		t.Errorf("the journal does not say why poold refused --worker-memory-max:\n%s", journal)
	}
	c.must("sed", "-i", "/worker-memory-max/d", conf)

	// Delegate=no: the fallback, in status.
	c.must("mkdir", "-p", "/etc/systemd/system/"+unit+".d")
	c.must("sh", "-c", "printf '[Service]\\nDelegate=no\\n' > /etc/systemd/system/"+unit+".d/nodelegate.conf")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "reset-failed", unit)
	c.must("systemctl", "restart", unit)
	c.waitFor("2/2 ready without delegation", ready)
	st = cgStatus(c, pool)
	if want := "none: not delegated (Delegate=yes in the unit, or --worker-cgroups=on); memory read from /proc"; st.Pool.WorkerCgroups != want {
		t.Errorf("worker_cgroups without Delegate= %q, want %q", st.Pool.WorkerCgroups, want)
	}
	for _, w := range st.Workers {
		if cg := cgroupOf(c, fmt.Sprint(w.PID)); cg != service {
			t.Errorf("worker %d is in %s without delegation, want the service's %s", w.PID, cg, service)
		}
	}

	// Stopping leaves nothing behind.
	c.must("systemctl", "stop", unit)
	if left := escapees(c); len(left) != 0 {
		t.Errorf("escapees left after systemctl stop: %v", left)
	}

	// A pool of another user (poolctl init --user): systemd hands the
	// delegated cgroup to that user, and poold divides it the same way.
	const userPool, userUnit = "cgu", "cgu.service"
	c.dumpJournalOnFailure(userUnit)
	c.must("useradd", "--system", "--no-create-home", "app")
	c.must("poolctl", "init", userPool, "--user", "app", "--listen", "127.0.0.1:18093", "--workers", "2", "--", "/usr/local/bin/cg-worker")
	c.must("sh", "-c", "printf 'ready = delay\nready-delay = 200ms\n' >> /etc/poold/"+userPool+".conf")
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", userUnit)
	c.waitFor("2/2 workers of app ready", func() bool {
		return strings.Contains(unitProp(c, userUnit, "StatusText"), "2/2 workers ready")
	})
	st = cgStatus(c, userPool)
	userService := unitProp(c, userUnit, "ControlGroup")
	if !strings.HasPrefix(st.Pool.WorkerCgroups, "per worker (delegated") {
		t.Errorf("worker_cgroups of app's pool %q, want per worker", st.Pool.WorkerCgroups)
	}
	for _, w := range st.Workers {
		if cg := cgroupOf(c, fmt.Sprint(w.PID)); !workerCgroupOf(userService).MatchString(cg) {
			t.Errorf("worker %d of app's pool is in %s, want %s/worker-*", w.PID, cg, userService)
		}
	}
}

func workerCgroupOf(service string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(service) + `/worker-(\d+)-\d+$`)
}
