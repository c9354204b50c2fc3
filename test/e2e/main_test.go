package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/poold/poold/internal/testbound"
)

// pooldBin and poolctlBin are the binaries TestMain builds; self is this
// test binary, which poold runs as a helper worker.
var pooldBin, poolctlBin, self string

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Setenv(testbound.Env, os.Getenv(helperFactorEnv))
		os.Exit(runHelper(name))
	}
	os.Exit(setUpAndRun(m))
}

func setUpAndRun(m *testing.M) int {
	var err error
	if self, err = os.Executable(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "poold-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // tests run poolctl as nobody
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	pooldBin = filepath.Join(dir, "poold")
	poolctlBin = filepath.Join(dir, "poolctl")
	// poolctl is a short-lived client whose code the unit tests run with
	// -race; built without it, it does not slow the tests down under load.
	for bin, b := range map[string]struct {
		pkg  string
		race bool
	}{pooldBin: {"./cmd/poold", raceEnabled}, poolctlBin: {"./cmd/poolctl", false}} {
		if err := build(bin, b.pkg, b.race); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build %s: %v\n", b.pkg, err)
			return 1
		}
	}
	return m.Run()
}

// build builds a binary of the module, with the race detector if race: a
// data race in poold makes it print "DATA RACE", which the harness reports.
func build(bin, pkg string, race bool) error {
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "github.com/poold/poold/"+pkg[2:])...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}
