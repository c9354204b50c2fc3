package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// poolctl -H reaches a pool through a real sshd, the way systemctl -H
// does: the remote poolctl runs, its output and exit status come back.
func TestPoolctlOverSSH(t *testing.T) {
	t.Parallel()
	sshd := needSSHD(t)
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2"}, helper: "serve"})
	p.waitReady()
	ssh := startSSHD(t, sshd)

	env := []string{"POOLCTL_SSH=" + ssh}
	st := poolctl(t, "", env, "-H", "root@127.0.0.1", "status", name)
	if st.code != 0 || !strings.Contains(st.stdout, "● "+name) || !strings.Contains(st.stdout, "2/2 workers ready") {
		t.Fatalf("status over ssh: %v", st)
	}
	if r := poolctl(t, "", env, "-H", "root@127.0.0.1", "scale", name, "3"); r.code != 0 {
		t.Fatalf("scale over ssh: %v", r)
	}
	p.waitSeen(`INF worker ready .*\bslot=2 `, bound)
	r := poolctl(t, "", env, "-H", "root@127.0.0.1", "scale", name, "many")
	if r.code != 2 || !strings.Contains(r.stderr, "poolctl:") {
		t.Errorf("a usage error on the remote side: %v; want its exit code 2 and message", r)
	}
}

// needSSHD is sshd's path; it skips t without sshd or root.
func needSSHD(t *testing.T) string {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	needTool(t, fileExists(sshd), "sshd", "openssh-server")
	if os.Getuid() != 0 {
		t.Skip("sshd on a test port needs root to log in as the test's user")
	}
	return sshd
}

// startSSHD runs sshd on a free loopback port, with keys made for the test,
// and returns the ssh command line that logs in to it as root. The remote
// PATH starts with the directory of the poolctl under test.
func startSSHD(t *testing.T, sshd string) string {
	t.Helper()
	dir := t.TempDir()
	for _, key := range []string{"host", "client"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, key)).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // its privilege separation directory
		t.Fatal(err)
	}
	port := itoa(freePort(t))
	config := strings.Join([]string{
		"Port " + port,
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PidFile none",
		"SetEnv PATH=" + filepath.Dir(poolctlBin) + ":/usr/sbin:/usr/bin:/sbin:/bin",
	}, "\n") + "\n"
	conf := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(conf, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", conf)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	listening := make(chan struct{})
	go func() { // sshd says when it listens; the rest of its log is dropped
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "Server listening on 127.0.0.1 port "+port) {
				close(listening)
				break
			}
		}
		for lines.Scan() {
		}
	}()
	select {
	case <-listening:
	case <-time.After(bound):
		t.Fatal("sshd did not listen")
	}
	return strings.Join([]string{"ssh", "-p", port, "-i", filepath.Join(dir, "client"),
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}, " ")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
