// Command bare-launcher is the benchmark's limit contender: it binds one TCP
// socket and starts N copies of a command that all get it as fd 3 with
// LISTEN_FDS=1, as systemd socket activation would, and does nothing else:
// no readiness, no restart, no distribution. SIGTERM or SIGINT is passed to
// every child; it exits once they have.
//
//	bare-launcher -listen 127.0.0.1:3000 -workers 2 -- node server.js
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:3000", "address to bind")
	workers := flag.Int("workers", 2, "number of processes")
	flag.Parse()
	if flag.NArg() == 0 || *workers < 1 {
		fmt.Fprintln(os.Stderr, "usage: bare-launcher [-listen ADDR] [-workers N] -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare-launcher:", err)
		os.Exit(1)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare-launcher:", err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var cmds []*exec.Cmd
	var wg sync.WaitGroup
	for range *workers {
		cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.ExtraFiles = []*os.File{f}
		cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=http")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "bare-launcher:", err)
			os.Exit(1)
		}
		cmds = append(cmds, cmd)
		wg.Go(func() { _ = cmd.Wait() })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case sig := <-sigs:
		for _, c := range cmds {
			_ = c.Process.Signal(sig)
		}
		<-done
	case <-done:
	}
}
