package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pooldBin is the poold binary TestMain builds; self is this test binary,
// which poold runs as a helper worker.
var pooldBin, self string

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
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
	pooldBin = filepath.Join(dir, "poold")
	// With -race, poold is built with it too: a data race in poold makes it
	// print "DATA RACE", which the harness reports.
	args := []string{"build", "-o", pooldBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/poold/poold/cmd/poold")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build poold:", err)
		return 1
	}
	return m.Run()
}
