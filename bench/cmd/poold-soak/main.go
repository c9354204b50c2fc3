// Command poold-soak is the chaos soak of issue 13: a pool of Go workers
// under keep-alive and new-connection load, with a random worker SIGKILLed
// or SIGSTOPped every interval and --worker-watchdog recycling the stopped
// ones. It reports failed requests, split into those in flight on a
// disrupted worker and the rest, poold's fd count, RSS and CPU over the run,
// and how many times a worker saw a second SIGTERM. It exits 1 when a
// request failed that no disruption explains, or a worker got SIGTERM twice.
//
//	make build && go run ./bench/cmd/poold-soak -duration 5m
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

type options struct {
	poold, poolctl string
	duration       time.Duration
	workers        int
	clients        int
	chaosEvery     time.Duration
	watchdog       time.Duration
	stopTimeout    time.Duration
	requestTimeout time.Duration
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == workerArg {
		os.Exit(runWorker())
	}
	var o options
	flag.StringVar(&o.poold, "poold", "bin/poold", "the poold binary")
	flag.StringVar(&o.poolctl, "poolctl", "bin/poolctl", "the poolctl binary")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "how long the load and the chaos run")
	flag.IntVar(&o.workers, "workers", 4, "workers in the pool")
	flag.IntVar(&o.clients, "clients", 16, "load clients, half keep-alive, half a new connection per request")
	flag.DurationVar(&o.chaosEvery, "chaos-every", time.Second, "mean time between two disruptions")
	flag.DurationVar(&o.watchdog, "watchdog", 2*time.Second, "poold's --worker-watchdog")
	flag.DurationVar(&o.stopTimeout, "stop-timeout", 5*time.Second, "poold's --stop-timeout")
	flag.DurationVar(&o.requestTimeout, "request-timeout", 20*time.Second, "a request not answered by then fails")
	flag.Parse()
	r, err := soak(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "poold-soak:", err)
		os.Exit(2)
	}
	r.print(os.Stdout)
	if r.unexplained > 0 || r.secondTerms > 0 {
		os.Exit(1)
	}
}

func soak(o options) (*report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "poold-soak-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if os.Getenv("POOLD_SOAK_KEEP") == "" {
			os.RemoveAll(dir)
		}
	}()
	for _, p := range []*string{&o.poold, &o.poolctl} {
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, err
		}
		if _, err := os.Stat(*p); err != nil {
			return nil, fmt.Errorf("%w (run make build first)", err)
		}
	}
	p, err := startPool(o, self, dir)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if err := p.waitReady(o.workers, 30*time.Second); err != nil {
		return nil, err
	}
	samples := p.sampleEvery(5*time.Second, o.duration)
	l := startLoad(p.addr, o.clients, o.requestTimeout)
	events := chaos(p, o)
	results := l.stop()
	r := &report{duration: o.duration, samples: <-samples}
	r.classify(results, events)
	if err := p.stop(); err != nil {
		r.stopErr = err
	}
	r.secondTerms, r.logBytes = p.logStats()
	return r, nil
}

// poolctlCmd runs poolctl on the soak's runtime base.
func (p *pool) poolctlCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(p.poolctl, args...)
	cmd.Env = append(os.Environ(), "POOLD_RUNTIME_BASE="+p.base)
	return cmd
}
