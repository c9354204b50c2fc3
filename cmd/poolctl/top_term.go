package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/poold/poold/dbusapi"
)

// Escape codes of the full-screen view (xterm's, which every terminal
// poolctl meets understands).
const (
	enterScreen = "\x1b[?1049h\x1b[?25l" // alternate screen, cursor hidden
	leaveScreen = "\x1b[?25h\x1b[?1049l" // cursor shown, back to the normal screen
	cursorHome  = "\x1b[H"
	clearLine   = "\x1b[2K"
	clearBelow  = "\x1b[J"
)

// topRead is one read of the pool, made off the terminal loop.
type topRead struct {
	st  dbusapi.Status
	at  time.Time
	err error
}

// topLive is the full-screen view on out: it redraws after each read of
// the pool, which it reads again on each of the pool's signals and every
// interval, and on each change of the window size; q or Ctrl-C ends it.
// The terminal is restored before it returns, also with an error.
func (a *app) topLive(ctx context.Context, p *dbusapi.Pool, out *os.File, o topOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the watch and a read in progress
	// Watch before the first read, so that no change is missed.
	events, err := p.Watch(ctx)
	if err != nil {
		return poolError(p.Name, err)
	}
	st, at, err := a.readTop(ctx, p)
	if err != nil {
		return poolGone(p, err, false)
	}
	window := rateWindow(o.interval)
	m := nextTop(topModel{}, st, p.Bus().Address, at, window)

	keys, restoreInput, err := readKeys(a.stdin)
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	defer restoreInput()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	defer signal.Stop(winch)
	if _, err := io.WriteString(out, enterScreen); err != nil {
		return err
	}
	defer io.WriteString(out, leaveScreen) //nolint:errcheck // nothing left to tell

	reads := make(chan topRead, 1)
	reading, again := false, false
	read := func() {
		if reading {
			again = true // once this read is in, read again: it may predate the change
			return
		}
		reading = true
		go func() {
			st, at, err := a.readTop(ctx, p)
			reads <- topRead{st, at, err}
		}()
	}
	note := ""
	draw := func() error {
		w, h, err := term.GetSize(int(out.Fd()))
		if err != nil {
			w, h = 80, 24
		}
		lines := renderTop(m, topScreen{width: w, height: h, color: a.color(), interactive: true, interval: o.interval, note: note})
		_, err = out.Write(screenFrame(lines, h))
		return err
	}
	if err := draw(); err != nil {
		return err
	}
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	disconnected := false
	for {
		select {
		case <-ctx.Done():
			return nil // SIGINT or SIGTERM
		case k, ok := <-keys:
			if !ok {
				keys = nil // end of input: Ctrl-C still quits
				continue
			}
			if k == 'q' || k == 'Q' || k == 0x03 { // 0x03: Ctrl-C, which ISIG no longer turns into SIGINT
				return nil
			}
			continue
		case <-winch:
		case <-tick.C:
			read()
			continue
		case _, ok := <-events:
			if !ok {
				events = nil // the connection is gone; the next read says why
				disconnected = true
			}
			read()
			continue
		case r := <-reads:
			reading = false
			if r.err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if isGone(r.err) || disconnected {
					return poolGone(p, r.err, disconnected)
				}
				note = fmt.Sprintf("could not read the pool at %s (showing the read before): %s",
					r.at.Format("15:04:05"), oneLine(r.err.Error()))
			} else {
				m, note = nextTop(m, r.st, p.Bus().Address, r.at, window), ""
			}
			if again {
				again = false
				read()
			}
		}
		if err := draw(); err != nil {
			return err
		}
	}
}

// screenFrame is the bytes that replace the screen with lines, which are no
// wider than the screen and no more than height. Each line is cleared
// before it is written, rather than after: clearing to the end of a line
// that fills the width would erase its last column.
func screenFrame(lines []string, height int) []byte {
	var b bytes.Buffer
	b.WriteString(cursorHome)
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(clearLine)
		b.WriteString(l)
	}
	if len(lines) < height {
		b.WriteString("\r\n" + clearBelow)
	}
	return b.Bytes()
}

// readKeys reads the keys typed on in, when it is a terminal, one byte at a
// time as they are typed: without echo, line editing or the signals of
// Ctrl-C, Ctrl-Z and Ctrl-\ (Ctrl-C arrives as the byte 3). Output is left
// as it is. restore puts the terminal back as it was. When in is not a
// terminal, no key comes.
//
// The goroutine reading in stays blocked in read(2) once top ends: poolctl
// exits right after.
func readKeys(in io.Reader) (keys <-chan byte, restore func(), err error) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}, nil
	}
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, nil, err
	}
	raw := *old
	raw.Lflag &^= unix.ECHO | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Iflag &^= unix.IXON | unix.ICRNL
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, nil, err
	}
	ch := make(chan byte, 16)
	go func() {
		defer close(ch)
		buf := make([]byte, 64)
		for {
			n, err := f.Read(buf)
			for _, k := range buf[:n] {
				ch <- k
			}
			if err != nil {
				return
			}
		}
	}()
	restore = func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) } //nolint:errcheck // best effort on the way out
	return ch, restore, nil
}
