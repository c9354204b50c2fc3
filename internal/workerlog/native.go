package workerlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// journalSocket is where journald takes its native protocol.
var journalSocket = "/run/systemd/journal/socket"

// nativeConn sends entries of journald's native protocol
// (systemd.io/JOURNAL_NATIVE_PROTOCOL). Its socket is connected to
// journald's: when journald's queue is full, a send then waits until
// journald reads, where an unconnected datagram socket would get EAGAIN
// with nothing to wake it (go-systemd's journal.Send sends that way). An
// entry too large for a datagram goes in a sealed memfd, as sd-journal
// sends it. It reconnects once when journald was restarted.
type nativeConn struct {
	path string
	mu   sync.Mutex
	conn *net.UnixConn
}

func (c *nativeConn) send(data []byte) error {
	conn, err := c.get()
	if err != nil {
		return err
	}
	err = write(conn, data)
	if err != nil && reconnectable(err) {
		c.drop(conn)
		if conn, err = c.get(); err != nil {
			return err
		}
		err = write(conn, data)
	}
	return err
}

func (c *nativeConn) get() (*net.UnixConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: c.path, Net: "unixgram"})
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		c.conn = conn
	}
	return c.conn, nil
}

// drop closes conn unless another sender has replaced it already.
func (c *nativeConn) drop(conn *net.UnixConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == conn {
		c.conn.Close()
		c.conn = nil
	}
}

// recheck is how often a send that waits for journald tries again: a
// socket closed for good (no journald any more) wakes no waiting sender.
const recheck = time.Second

func write(conn *net.UnixConn, data []byte) error {
	for {
		if err := conn.SetWriteDeadline(time.Now().Add(recheck)); err != nil {
			return err
		}
		_, err := conn.Write(data)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case errors.Is(err, unix.EMSGSIZE) || errors.Is(err, unix.ENOBUFS):
			return writeMemfd(conn, data)
		}
		return err
	}
}

// writeMemfd passes data in a sealed memfd, which journald maps as it is.
func writeMemfd(conn *net.UnixConn, data []byte) error {
	fd, err := unix.MemfdCreate("journal-entry", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return fmt.Errorf("journal: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "journal-entry")
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("journal: memfd: %w", err)
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("journal: seal memfd: %w", err)
	}
	rc, err := conn.SyscallConn() // net refuses WriteMsgUnix on a connected datagram socket
	if err != nil {
		return err
	}
	for {
		if err := conn.SetWriteDeadline(time.Now().Add(recheck)); err != nil {
			return err
		}
		var serr error
		err := rc.Write(func(s uintptr) bool {
			serr = unix.Sendmsg(int(s), nil, unix.UnixRights(fd), nil, 0)
			return !errors.Is(serr, unix.EAGAIN) // false: wait until writable
		})
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case err != nil:
			return err
		}
		return serr
	}
}

// reconnectable errors mean journald's socket was replaced: it restarted.
func reconnectable(err error) bool {
	for _, e := range []error{unix.ECONNREFUSED, unix.ENOTCONN, unix.ECONNRESET, unix.EPIPE, unix.ENOENT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// appendField appends one field: KEY=VALUE and a newline, or, for a value
// that holds a newline, KEY, a newline, its length as a little-endian
// 64-bit number, the value and a newline.
func appendField(buf []byte, key, value string) []byte {
	buf = append(buf, key...)
	if !strings.Contains(value, "\n") {
		buf = append(append(buf, '='), value...)
		return append(buf, '\n')
	}
	buf = binary.LittleEndian.AppendUint64(append(buf, '\n'), uint64(len(value)))
	return append(append(buf, value...), '\n')
}

// journalAnswers reports whether journald's native socket takes datagrams.
func journalAnswers() bool {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: journalSocket, Net: "unixgram"})
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
