package main

import (
	"math/rand/v2"
	"syscall"
	"time"
)

// disruption is one worker SIGKILLed or SIGSTOPped.
type disruption struct {
	at  time.Time
	pid int
	sig syscall.Signal
}

// chaos disrupts a random ready worker at random intervals averaging
// o.chaosEvery, for o.duration, and returns what it did. A stopped worker
// stays stopped: poold's --worker-watchdog must find and replace it.
func chaos(p *pool, o options) []disruption {
	var done []disruption
	end := time.Now().Add(o.duration)
	for time.Now().Before(end) {
		time.Sleep(time.Duration(rand.Int64N(int64(2 * o.chaosEvery))))
		ws, err := p.workers()
		if err != nil {
			continue // poolctl failing is counted by the load, not here
		}
		var ready []int
		for _, w := range ws {
			if w.State == "ready" {
				ready = append(ready, w.PID)
			}
		}
		if len(ready) == 0 {
			continue
		}
		pid := ready[rand.IntN(len(ready))]
		sig := syscall.SIGKILL
		if rand.IntN(2) == 0 {
			sig = syscall.SIGSTOP
		}
		at := time.Now()
		if syscall.Kill(pid, sig) == nil {
			done = append(done, disruption{at: at, pid: pid, sig: sig})
		}
	}
	return done
}
