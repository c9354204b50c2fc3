package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/poold/poold/internal/supervisor"
)

// catchSIGPIPE makes a write to a closed stdout or stderr (a log read
// through a pipe whose reader went away) fail with EPIPE, which the logger
// drops, instead of killing poold and orphaning its workers: Go raises
// SIGPIPE for a broken pipe on fds 1 and 2 unless the program asked for the
// signal (os/signal, "SIGPIPE"). Notify, not Ignore: an ignored signal stays
// ignored across exec, and the processes poold starts must get the default
// disposition, which a caught signal is reset to. Nothing reads the
// channel: signal.Notify drops what does not fit.
func catchSIGPIPE() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// controller turns signals into supervisor requests.
type controller struct {
	log      *slog.Logger
	sup      *supervisor.Supervisor
	reloader *reloader
	upgrader *upgrader
	lost     <-chan error // the runtime directory was lost for good
}

// serve handles signals until SIGTERM or SIGINT asks for a drain, or the
// supervisor ends. SIGHUP starts a rolling reload, SIGUSR2 an upgrade in
// place (einhorn's and nginx's signal for it). A runtime directory lost
// and not made again ends it too, with an error: the workers can no longer
// be told from others on their notify sockets, so poold stops and exits
// non-zero, for systemd to restart it.
func (c controller) serve(signals <-chan os.Signal) error {
	for {
		select {
		case sig := <-signals:
			switch sig {
			case syscall.SIGHUP:
				go c.reload()
				continue
			case syscall.SIGUSR2:
				go c.upgrade()
				continue
			}
			if c.upgrader.stopAfter() {
				c.log.Info("signal received during an upgrade: the new poold drains", "signal", sig.String())
				continue
			}
			c.log.Info("signal received, draining", "signal", sig.String())
			return nil
		case <-c.sup.Done():
			return nil
		case err := <-c.lost:
			c.log.Error("runtime directory lost and not made again: draining", "err", err)
			return err
		}
	}
}

func (c controller) reload() {
	c.log.Info("SIGHUP: rolling reload")
	if _, err := c.reloader.reload(context.Background()); err != nil {
		c.log.Error("reload", "err", err)
	}
}

func (c controller) upgrade() {
	c.log.Info("SIGUSR2: upgrade in place")
	to, err := c.upgrader.Start(context.Background())
	if err != nil {
		c.log.Error("upgrade", "err", err)
		return
	}
	c.log.Info("upgrade started", "to", to)
}

// forceOnSecondSignal skips the rest of a drain when SIGTERM or SIGINT
// comes again (a second Ctrl-C): every worker gets SIGKILL.
func (c controller) forceOnSecondSignal(signals <-chan os.Signal, stopped <-chan struct{}) {
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP || sig == syscall.SIGUSR2 {
				continue
			}
			c.log.Warn("second signal: killing the remaining workers", "signal", sig.String())
			c.sup.Kill()
		case <-stopped:
			return
		}
	}
}
