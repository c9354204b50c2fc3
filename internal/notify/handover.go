package notify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/poold/poold/internal/handoff"
)

// Pause makes a pending Receive, and every later one, fail with an error
// wrapping os.ErrDeadlineExceeded, leaving the socket open and what is
// queued on it in the kernel: an upgrade in place hands the socket over
// (FD) with its queue. Resume undoes it.
func (s *Socket) Pause() error { return s.conn.SetReadDeadline(time.Unix(1, 0)) }

// Resume lets Receive wait again after Pause.
func (s *Socket) Resume() error { return s.conn.SetReadDeadline(time.Time{}) }

// FD is the socket's file descriptor, for handing it over across an exec;
// the Socket still owns it.
func (s *Socket) FD() (int, error) { return handoff.FD(s.conn) }

// Adopt takes over a notify socket bound at path by a poold that handed it
// over across an exec (see FD), and owns fd from then on. Its credentials
// option and file are as Listen left them.
func Adopt(fd int, path string) (*Socket, error) {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	c, err := net.FileConn(f) // a dup of fd, registered with the poller
	if err != nil {
		return nil, fmt.Errorf("adopt %s: %w", path, err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, errors.Join(fmt.Errorf("adopt %s: got %T", path, c), c.Close())
	}
	s := &Socket{conn: uc, path: path}
	if !abstract(path) {
		fi, err := os.Lstat(path)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("adopt %s: %w", path, err), c.Close())
		}
		s.file = fi
	}
	return s, nil
}
