package notify

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// maxFDs is how many passed fds fit in Receive's control buffer: systemd's
// NOTIFY_FD_MAX. The kernel closes any beyond it (MSG_CTRUNC).
const maxFDs = 768

// oobSize fits the sender's credentials and maxFDs fds.
var oobSize = unix.CmsgSpace(unix.SizeofUcred) + unix.CmsgSpace(maxFDs*4)

// ErrControlTruncated reports a datagram whose control data did not fit:
// more than maxFDs fds were passed (the rest were closed by the kernel).
var ErrControlTruncated = errors.New("control data truncated")

// Datagram is one received datagram.
type Datagram struct {
	Message Message
	// Err is nil, or the reason some or all of Raw was not used: one or
	// more *ParseError (see Parse and ParseErrors), possibly joined with a
	// control-data error. Message still holds what was valid.
	Err error
	// PID, UID and GID are the sender's, from SCM_CREDENTIALS; -1 if absent.
	PID, UID, GID int
	// FDs is how many fds came with the datagram; all are already closed.
	FDs int
	// Raw is the datagram as received (at most MaxDatagram+1 bytes).
	Raw []byte
}

// Receive blocks for the next datagram and returns it parsed, with the
// sender's credentials. Every fd passed with SCM_RIGHTS is closed before
// Receive returns. A bad datagram is reported in Datagram.Err; the error
// result is only for socket failures, and wraps net.ErrClosed after Close.
// Receive may be called from several goroutines; each datagram goes to one.
func (s *Socket) Receive() (Datagram, error) {
	buf := make([]byte, MaxDatagram+1) // one spare byte detects an over-long datagram
	oob := make([]byte, oobSize)
	n, oobn, flags, _, err := s.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return Datagram{}, fmt.Errorf("receive %s: %w", s.path, err)
	}
	d := Datagram{PID: -1, UID: -1, GID: -1, Raw: buf[:n:n]}
	cerr := d.control(oob[:oobn])
	if flags&unix.MSG_CTRUNC != 0 {
		cerr = errors.Join(cerr, ErrControlTruncated)
	}
	if flags&unix.MSG_TRUNC != 0 || n > MaxDatagram {
		d.Err = tooLong()
	} else {
		d.Message, d.Err = Parse(d.Raw)
	}
	if cerr != nil {
		d.Err = errors.Join(d.Err, cerr)
	}
	return d, nil
}

// control reads the sender's credentials from oob and closes every fd in it.
// It goes on past a bad message so that no fd is left open.
func (d *Datagram) control(oob []byte) error {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return fmt.Errorf("control data: %w", err)
	}
	var errs []error
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Level != unix.SOL_SOCKET {
			continue
		}
		switch m.Header.Type {
		case unix.SCM_RIGHTS:
			errs = append(errs, d.closeRights(m))
		case unix.SCM_CREDENTIALS:
			c, err := unix.ParseUnixCredentials(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("credentials: %w", err))
				continue
			}
			d.PID, d.UID, d.GID = int(c.Pid), int(c.Uid), int(c.Gid)
		}
	}
	return errors.Join(errs...)
}

// closeRights closes the fds of one SCM_RIGHTS message.
func (d *Datagram) closeRights(m *unix.SocketControlMessage) error {
	fds, err := unix.ParseUnixRights(m)
	if err != nil {
		return fmt.Errorf("passed fds: %w", err)
	}
	var errs []error
	for _, fd := range fds {
		if err := unix.Close(fd); err != nil {
			errs = append(errs, fmt.Errorf("close passed fd %d: %w", fd, err))
		}
	}
	d.FDs += len(fds)
	return errors.Join(errs...)
}
