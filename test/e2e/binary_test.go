package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poold/poold/dbusapi"
)

// After a package upgrade renames a new poold over the file of a running
// one, the pool still runs the old code: poolctl status says so, with the
// version a restart would run, and so does the D-Bus property.
func TestStatusSaysTheBinaryWasReplaced(t *testing.T) {
	t.Parallel()
	dir, bin := copyOfPoold(t)
	name := uniqueName(t)
	p := start(t, spec{bin: bin, args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1"}, helper: "serve"})
	p.waitReady()
	if r := replacement(t, name); r.BinaryReplaced || r.ReplacementVersion != "" {
		t.Errorf("before the upgrade: %+v", r)
	}
	if out := mustPoolctl(t, nil, "status", name); strings.Contains(out, "Binary:") {
		t.Errorf("before the upgrade, status says:\n%s", out)
	}

	// Another build, of another version, renamed over it as dpkg does.
	next := filepath.Join(dir, ".poold.dpkg-new")
	ctx, cancel := context.WithTimeout(context.Background(), bound*3) // a link of poold under load
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X main.version=9.9.9-e2e", "-o", next, "github.com/poold/poold/cmd/poold")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Rename(next, bin); err != nil {
		t.Fatal(err)
	}
	if r := replacement(t, name); !r.BinaryReplaced || r.ReplacementVersion != "9.9.9-e2e" {
		t.Errorf("after the upgrade: %+v; want replaced by 9.9.9-e2e", r)
	}
	want := "     Binary: replaced on disk, restart or upgrade to run version 9.9.9-e2e\n"
	if out := mustPoolctl(t, nil, "status", name); !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}
	// The property, as busctl reads it.
	var all []struct {
		Pool struct {
			BusAddress string `json:"bus_address"`
		} `json:"pool"`
	}
	if err := json.Unmarshal([]byte(mustPoolctl(t, nil, "status", "--json", name)), &all); err != nil || len(all) != 1 {
		t.Fatalf("status --json: %v", err)
	}
	out, err := exec.Command("busctl", "--address="+all[0].Pool.BusAddress, "get-property", dbusapi.BusName(name),
		string(dbusapi.ManagerPath), dbusapi.ManagerInterface, "ReplacementVersion").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != `s "9.9.9-e2e"` {
		t.Errorf("busctl get-property ReplacementVersion: %v: %s", err, out)
	}
}

// copyOfPoold copies poold into a directory of the test's, for a test that
// replaces the file as a package upgrade does.
func copyOfPoold(t *testing.T) (dir, bin string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "poold")
	if out, err := exec.Command("cp", pooldBin, bin).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dir, bin
}

// replacementStatus is what poolctl status --json says of poold's binary.
type replacementStatus struct {
	BinaryReplaced     bool   `json:"binary_replaced"`
	ReplacementVersion string `json:"replacement_version"`
}

func replacement(t *testing.T, name string) replacementStatus {
	t.Helper()
	var all []struct {
		Pool replacementStatus `json:"pool"`
	}
	out := mustPoolctl(t, nil, "status", "--json", name)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return all[0].Pool
}
