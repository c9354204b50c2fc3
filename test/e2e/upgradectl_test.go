package e2e

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// poolctl upgrade refuses, saying why and what to do, when the poold on
// disk does not run; the pool keeps its poold and workers, and its
// LastUpgrade says it was refused. --on-install leaves a pool with
// upgrade-on-install = false alone.
func TestPoolctlUpgradeOfABrokenBinaryIsRefused(t *testing.T) {
	t.Parallel()
	dir, bin := copyOfPoold(t)
	conf := filepath.Join(dir, "pool.conf")
	if err := os.WriteFile(conf, []byte("upgrade-on-install = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	name := uniqueName(t)
	p := start(t, spec{bin: bin, args: []string{"--name", name, "--config", conf, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	p.waitReady()
	before := statusOf(t, nil, name)

	r := poolctl(t, "", nil, "upgrade", name, "--on-install")
	want := name + ": skipped: upgrade-on-install = false in its config file; restart it to run the new poold\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("upgrade --on-install: %v; want stdout %q", r, want)
	}
	if up := lastUpgrade(t, name); up.Outcome != "" || up.UpgradeOnInstall {
		t.Errorf("after a skipped upgrade: %+v; want no upgrade, upgrade_on_install false", up)
	}

	// A package upgrade half done: the file at poold's path is not poold.
	broken := filepath.Join(dir, ".poold.new")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'not today' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(broken, bin); err != nil {
		t.Fatal(err)
	}
	r = poolctl(t, "", nil, "upgrade", name)
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "poolctl: "+name+": "+bin+" --version: exit status 3: not today") {
		t.Errorf("upgrade with a broken binary: %v; want exit 1 and the binary's complaint", r)
	}
	up := lastUpgrade(t, name)
	if !strings.HasPrefix(up.Outcome, "refused: "+bin+" --version: exit status 3") || up.StartedUSec == 0 {
		t.Errorf("last upgrade %+v; want refused, with why", up)
	}
	after := statusOf(t, nil, name)
	if after.Pool.MainPID != before.Pool.MainPID || !samePIDs(before.workerPIDs(), after.workerPIDs()) {
		t.Errorf("a refused upgrade changed the pool: before %+v, after %+v", before, after)
	}
}

// upgradeStatus is what poolctl status --json says of upgrades.
type upgradeStatus struct {
	From             string `json:"from"`
	To               string `json:"to"`
	StartedUSec      uint64 `json:"started_usec"`
	Outcome          string `json:"outcome"`
	UpgradeOnInstall bool   `json:"-"`
}

func lastUpgrade(t *testing.T, name string) upgradeStatus {
	t.Helper()
	var all []struct {
		Pool struct {
			LastUpgrade      upgradeStatus `json:"last_upgrade"`
			UpgradeOnInstall bool          `json:"upgrade_on_install"`
		} `json:"pool"`
	}
	out := mustPoolctl(t, nil, "status", "--json", name)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	up := all[0].Pool.LastUpgrade
	up.UpgradeOnInstall = all[0].Pool.UpgradeOnInstall
	return up
}

// samePIDs: the same worker PID in every slot.
func samePIDs(a, b map[int]int) bool { return maps.Equal(a, b) }
