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
	// Err is nil, or the reason some or all of Raw was not used: a
	// *ParseError naming the first bad line and counting the others (see
	// Parse), possibly joined with a control-data error. Message still
	// holds what was valid.
	Err error
	// PID, UID and GID are the sender's, from SCM_CREDENTIALS; -1 if absent.
	PID, UID, GID int
	// Refused is set when the socket's Accept turned the sender down: the
	// datagram was neither parsed nor kept (Message, Err and Raw are zero).
	Refused bool
	// FDs is how many fds came with the datagram; all are already closed.
	FDs int
	// Raw is the datagram as received (at most MaxDatagram+1 bytes).
	Raw []byte
}

// Receive blocks for the next datagram and returns it parsed, with the
// sender's credentials, or marked Refused (see Accept). Every fd passed
// with SCM_RIGHTS is closed before Receive returns. A bad datagram is
// reported in Datagram.Err; the error result is only for socket failures,
// and wraps net.ErrClosed after Close. Receive may be called from several
// goroutines; each datagram goes to one.
func (s *Socket) Receive() (Datagram, error) {
	buf := make([]byte, MaxDatagram+1) // one spare byte detects an over-long datagram
	oob := make([]byte, oobSize)
	n, oobn, flags, _, err := s.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return Datagram{}, fmt.Errorf("receive %s: %w", s.path, err)
	}
	d := Datagram{PID: -1, UID: -1, GID: -1, Raw: buf[:n:n]}
	fds, cerr := d.control(oob[:oobn])
	if s.accept != nil && !s.accept(d.PID, d.UID) {
		closeAll(fds)
		return Datagram{PID: d.PID, UID: d.UID, GID: d.GID, FDs: len(fds), Refused: true}, nil
	}
	if err := closeAll(fds); err != nil {
		cerr = errors.Join(cerr, err)
	}
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

// control reads the sender's credentials from oob and returns every fd in
// it, for the caller to close. It goes on past a bad message so that no fd
// is missed.
func (d *Datagram) control(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control data: %w", err)
	}
	var fds []int
	var errs []error
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Level != unix.SOL_SOCKET {
			continue
		}
		switch m.Header.Type {
		case unix.SCM_RIGHTS:
			rights, err := unix.ParseUnixRights(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("passed fds: %w", err))
			}
			fds = append(fds, rights...)
		case unix.SCM_CREDENTIALS:
			c, err := unix.ParseUnixCredentials(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("credentials: %w", err))
				continue
			}
			d.PID, d.UID, d.GID = int(c.Pid), int(c.Uid), int(c.Gid)
		}
	}
	d.FDs = len(fds)
	return fds, errors.Join(errs...)
}

// closeAll closes the fds a datagram brought.
func closeAll(fds []int) error {
	var errs []error
	for _, fd := range fds {
		if err := unix.Close(fd); err != nil {
			errs = append(errs, fmt.Errorf("close passed fd %d: %w", fd, err))
		}
	}
	return errors.Join(errs...)
}
