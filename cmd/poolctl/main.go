// Command poolctl is the operator's command line for poold pools: list,
// status, scale, reload, restart, signal and upgrade, over D-Bus, on this
// host or on another one over SSH.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
