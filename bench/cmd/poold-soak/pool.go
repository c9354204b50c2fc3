package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pool is the poold under soak.
type pool struct {
	cmd     *exec.Cmd
	poolctl string
	base    string // POOLD_RUNTIME_BASE
	logPath string
	addr    string
	exited  chan struct{}
	waitErr error
}

func startPool(o options, self, dir string) (*pool, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &pool{poolctl: o.poolctl, base: filepath.Join(dir, "run"), logPath: filepath.Join(dir, "poold.log"),
		addr: addr, exited: make(chan struct{})}
	log, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	p.cmd = exec.Command(o.poold, "--name", "soak", "--listen", addr, "--workers", strconv.Itoa(o.workers),
		"--worker-watchdog", o.watchdog.String(), "--stop-timeout", o.stopTimeout.String(), "--", self, workerArg)
	p.cmd.Env = append(os.Environ(), "POOLD_RUNTIME_BASE="+p.base)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// worker is what the soak needs of `poolctl status --json`.
type worker struct {
	PID   int    `json:"pid"`
	State string `json:"state"`
}

func (p *pool) workers() ([]worker, error) {
	out, err := p.poolctlCmd("status", "soak", "--json").Output()
	if err != nil {
		return nil, fmt.Errorf("poolctl status: %w", err)
	}
	var pools []struct { // one per pool named
		Workers []worker `json:"workers"`
	}
	if err := json.Unmarshal(out, &pools); err != nil || len(pools) != 1 {
		return nil, fmt.Errorf("poolctl status: %d pools, %v", len(pools), err)
	}
	return pools[0].Workers, nil
}

// waitReady polls poolctl until n workers are ready: a start-up wait of a
// benchmark tool, not a test's synchronisation.
func (p *pool) waitReady(n int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("poold exited: %v (log: %s)", p.waitErr, p.logPath)
		default:
		}
		if ws, err := p.workers(); err == nil && countReady(ws) >= n {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("pool not ready within %v", within)
}

func countReady(ws []worker) int {
	n := 0
	for _, w := range ws {
		if w.State == "ready" {
			n++
		}
	}
	return n
}

// sample is poold's resource use at one moment.
type sample struct {
	at       time.Duration
	fds      int
	rssKiB   int
	cpuTicks int
}

// sampleEvery samples poold every interval for d and sends the samples once done.
func (p *pool) sampleEvery(interval, d time.Duration) <-chan []sample {
	out := make(chan []sample, 1)
	go func() {
		start := time.Now()
		var all []sample
		for t := time.NewTicker(interval); time.Since(start) < d; <-t.C {
			if s, err := sampleProc(p.cmd.Process.Pid); err == nil {
				s.at = time.Since(start)
				all = append(all, s)
			}
		}
		out <- all
	}()
	return out
}

func sampleProc(pid int) (sample, error) {
	var s sample
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			s.rssKiB, _ = strconv.Atoi(strings.Fields(v)[0])
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	s.cpuTicks = utime + stime
	return s, nil
}

// stop drains the pool with SIGTERM and waits for poold; a second call
// returns the first call's result.
func (p *pool) stop() error {
	select {
	case <-p.exited:
		return p.waitErr
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("poold did not stop within a minute of SIGTERM")
	}
	return p.waitErr
}

// logStats counts the second SIGTERMs workers reported and the log's size.
func (p *pool) logStats() (secondTerms int, size int64) {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return -1, 0
	}
	return bytes.Count(b, []byte(secondTermLine)), int64(len(b))
}
