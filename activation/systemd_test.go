package activation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestFromEnvironmentSystemd gets its sockets from systemd's own
// implementation of the protocol, systemd-socket-activate, which sets
// LISTEN_PID and LISTEN_FDNAMES and execs the helper when the first
// connection arrives.
func TestFromEnvironmentSystemd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.sock")
	abstract := "@poold-activation-test-" + strconv.Itoa(os.Getpid())
	var stdout bytes.Buffer
	wait := startSocketActivate(t, &stdout, "-l", path, "-l", abstract, "--fdname=web:admin")
	dial(t, "unix", path)
	dial(t, "unix", abstract)
	wait()

	var got helperReport
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("helper output %q: %v", stdout.Bytes(), err)
	}
	want := helperReport{
		Sockets: []socketReport{
			{Name: "web", Network: "unix", Addr: path, FD: 3, Accepted: true},
			{Name: "admin", Network: "unix", Addr: abstract, FD: 4, Accepted: true},
		},
		FDs: map[int]string{3: "cloexec", 4: "cloexec"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// startSocketActivate runs systemd-socket-activate with args and the
// from-environment helper as its daemon, and returns once it listens on
// every -l socket. The returned wait waits for the helper to exit.
func startSocketActivate(t *testing.T, stdout io.Writer, args ...string) (wait func()) {
	t.Helper()
	tool, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	n := countListen(args)
	args = append(args, "-E", helperEnv+"=from-environment", "-E", "HELPER_NFDS="+strconv.Itoa(n),
		"-E", "HELPER_ACCEPT=1", "-E", goRace, "--", exe, "-test.run=^$")
	cmd := exec.Command(tool, args...)
	cmd.Stdout = stdout
	stderr, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	cmd.Stderr = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	log := waitListening(t, stderr, n)
	return func() {
		err := cmd.Wait()
		rest, _ := io.ReadAll(stderr)
		if err != nil {
			t.Fatalf("systemd-socket-activate: %v\n%s%s", err, log, rest)
		}
	}
}

// countListen counts the sockets args make systemd-socket-activate listen on.
func countListen(args []string) int {
	n := 0
	for _, a := range args {
		if a == "-l" {
			n++
		}
	}
	return n
}

// waitListening reads systemd-socket-activate's log until it says
// "Listening on ADDR as FD." n times, and returns what it read.
func waitListening(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	var log strings.Builder
	lines := bufio.NewScanner(r)
	for n > 0 && lines.Scan() {
		fmt.Fprintln(&log, lines.Text())
		if strings.HasPrefix(lines.Text(), "Listening on ") {
			n--
		}
	}
	if n > 0 {
		t.Fatalf("systemd-socket-activate did not listen: %v\n%s", lines.Err(), log.String())
	}
	return log.String()
}
