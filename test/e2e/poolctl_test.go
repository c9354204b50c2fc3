package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// ctlResult is what one poolctl run printed and how it ended.
type ctlResult struct {
	stdout, stderr string
	code           int
	pid            int // of poolctl, or of runuser when run as another user
}

func (r ctlResult) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// poolctl runs the poolctl binary with env added to the test's environment
// (without bus addresses, as for poold), as user when it is not "".
func poolctl(t *testing.T, user string, env []string, args ...string) ctlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	argv := append([]string{poolctlBin}, args...)
	if user != "" {
		// runuser resets nothing we rely on, but env passes the bus
		// addresses explicitly, as a login shell would not.
		argv = append([]string{"runuser", "-u", user, "--", "env"}, append(env, argv...)...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(protocolFree(os.Environ()), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := ctlResult{stdout: out.String(), stderr: errOut.String()}
	if cmd.Process != nil {
		r.pid = cmd.Process.Pid
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("poolctl %v: %v", args, err)
	}
	return r
}

// mustPoolctl runs poolctl as the test's user and fails unless it exits 0.
func mustPoolctl(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := poolctl(t, "", env, args...)
	if r.code != 0 {
		t.Fatalf("poolctl %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// ctlStatus is the part of `poolctl status --json` the tests read.
type ctlStatus struct {
	Pool struct {
		Name          string `json:"name"`
		State         string `json:"state"`
		TargetWorkers int    `json:"target_workers"`
		WorkersReason string `json:"workers_reason"`
		ReadyWorkers  int    `json:"ready_workers"`
		Generation    int    `json:"generation"`
		Bus           string `json:"bus"`
		MainPID       int    `json:"main_pid"`
		Version       string `json:"version"`
		Generations   []struct {
			Generation int      `json:"generation"`
			From       int      `json:"from"`
			CommandTo  []string `json:"command_to"`
			EnvAdded   []string `json:"env_added"`
			EnvChanged []string `json:"env_changed"`
		} `json:"generations"`
	} `json:"pool"`
	Workers []struct {
		Slot       int    `json:"slot"`
		PID        int    `json:"pid"`
		State      string `json:"state"`
		Generation int    `json:"generation"`
	} `json:"workers"`
}

func statusOf(t *testing.T, env []string, name string) ctlStatus {
	t.Helper()
	var all []ctlStatus
	out := mustPoolctl(t, env, "status", "--json", name)
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		t.Fatalf("poolctl status --json %s: %v, %d pools in:\n%s", name, err, len(all), out)
	}
	return all[0]
}

// workerPIDs is the PIDs of the ready workers, by slot.
func (s ctlStatus) workerPIDs() map[int]int {
	pids := map[int]int{}
	for _, w := range s.Workers {
		if w.State == "ready" {
			pids[w.Slot] = w.PID
		}
	}
	return pids
}

// uniqueName is a pool name no other test uses: pools of parallel tests
// must not answer each other's poolctl.
func uniqueName(t *testing.T) string {
	return strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name())) + "-" + itoa(os.Getpid())
}
