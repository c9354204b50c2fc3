package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// Workers die with poold when it dies uncleanly, without per-worker
// cgroups to kill them: they would keep its port.
func TestWorkersDieWithPoold(t *testing.T) {
	t.Parallel()
	p := start(t, spec{
		args:   []string{"--listen", "127.0.0.1:0", "--workers", "3", "--worker-cgroups", "off"},
		helper: "serve",
	})
	p.waitReady()
	p.signal(syscall.SIGKILL)
	p.wait(bound)
	if left := p.logs.workersLeft(bound); len(left) > 0 {
		t.Errorf("workers %v still run %v after poold was killed", left, bound)
	}
}

// A port in use is explained: poold names the process that listens on it
// and says what to do.
func TestPortInUseNamesItsHolder(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("sleep", "1000")
	holder.ExtraFiles = []*os.File{f}
	err = holder.Start()
	f.Close() // the sleep alone holds it now
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })

	p := start(t, spec{args: []string{"--listen", ln.Addr().String(), "--workers", "1"}, helper: "serve"})
	if code := p.wait(bound); code != 1 {
		t.Errorf("poold exited %d, want 1", code)
	}
	want := fmt.Sprintf(`address already in use: held by pid %d \(sleep 1000\): stop them`, holder.Process.Pid)
	// The output may still be on its way when the exit is seen.
	p.waitSeen(want, bound)
}
