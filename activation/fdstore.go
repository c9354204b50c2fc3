package activation

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The names poold gives the sockets it keeps in systemd's fd store. A
// restarted poold gets them back among the socket unit's, told apart by
// these prefixes; a socket unit must not name its fds so.
const (
	slotStorePrefix   = "poold-slot-"   // a distribution slot's sockets: poold-slot-SLOT
	listenStorePrefix = "poold-listen-" // a --listen socket: poold-listen-INDEX
)

// fdNameMax is systemd's FDNAME_MAX.
const fdNameMax = 255

// SlotStoreName is the fd store name of the sockets of a distribution
// slot: one name for all of them, so that one message removes the slot.
func SlotStoreName(slot int) string { return slotStorePrefix + strconv.Itoa(slot) }

// ListenStoreName is the fd store name of the i-th --listen socket.
func ListenStoreName(i int) string { return listenStorePrefix + strconv.Itoa(i) }

// ParseSlotStoreName returns the slot a SlotStoreName names.
func ParseSlotStoreName(name string) (slot int, ok bool) {
	return storeIndex(name, slotStorePrefix)
}

// ParseListenStoreName returns the --listen index a ListenStoreName names.
func ParseListenStoreName(name string) (i int, ok bool) {
	return storeIndex(name, listenStorePrefix)
}

func storeIndex(name, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || strconv.Itoa(n) != digits {
		return 0, false
	}
	return n, true
}

// isStoreName reports whether a passed fd's name is one poold gave a
// socket it stored, rather than a socket unit's.
func isStoreName(name string) bool {
	_, slot := ParseSlotStoreName(name)
	_, listen := ParseListenStoreName(name)
	return slot || listen
}

// StoreFDs puts files in systemd's fd store under name (FDSTORE=1,
// FDNAME=name, the fds passed with SCM_RIGHTS, as sd_pid_notify_with_fds),
// so that a poold that crashes or is killed gets them back in LISTEN_FDS
// when systemd starts it again. systemd keeps one copy of an fd however
// often it is stored, and at most FileDescriptorStoreMax= fds: it closes
// the rest, and logs so. Not under systemd it does nothing.
func (n *Notifier) StoreFDs(name string, files ...*os.File) error {
	if !n.Enabled() || len(files) == 0 {
		return nil
	}
	if err := checkFDName(name); err != nil {
		return err
	}
	fds := make([]int, 0, len(files))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, f := range files {
		fd, err := DupFD(f)
		if err != nil {
			return fmt.Errorf("store fds %q: %w", name, err)
		}
		fds = append(fds, fd)
	}
	if err := n.sendFDs("FDSTORE=1\nFDNAME="+name, fds); err != nil {
		return fmt.Errorf("store fds %q: %w", name, err)
	}
	return nil
}

// RemoveFDs tells systemd to close the fds it stores under name
// (FDSTOREREMOVE=1). Not under systemd it does nothing.
func (n *Notifier) RemoveFDs(name string) error {
	if !n.Enabled() {
		return nil
	}
	if err := checkFDName(name); err != nil {
		return err
	}
	return n.send("FDSTOREREMOVE=1\nFDNAME=" + name)
}

// ErrBarrierTimeout is Barrier's error when systemd did not answer in time.
var ErrBarrierTimeout = errors.New("systemd did not process the notifications in time")

// Barrier waits until systemd has processed every notification sent
// before it, as sd_notify_barrier(3): it sends BARRIER=1 with the write
// end of a pipe, which systemd closes once it reads the message. A
// RemoveFDs followed by Barrier has closed systemd's copies. Not under
// systemd it returns at once.
func (n *Notifier) Barrier(timeout time.Duration) error {
	if !n.Enabled() {
		return nil
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	defer unix.Close(p[0])
	err := n.sendFDs("BARRIER=1", []int{p[1]})
	unix.Close(p[1])
	if err != nil {
		return err
	}
	return waitHangup(p[0], timeout)
}

// waitHangup waits until the write end of the pipe whose read end is fd is
// closed everywhere.
func waitHangup(fd int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return ErrBarrierTimeout
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return os.NewSyscallError("poll", err)
		case fds[0].Revents&unix.POLLHUP != 0:
			return nil
		}
	}
}

// sendFDs writes one datagram carrying fds, as send does without.
func (n *Notifier) sendFDs(state string, fds []int) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("notify systemd: %w", os.NewSyscallError("socket", err))
	}
	defer unix.Close(fd)
	// x/sys makes a leading '@' the abstract namespace's NUL.
	to := &unix.SockaddrUnix{Name: n.socket}
	if err := unix.Sendmsg(fd, []byte(state), unix.UnixRights(fds...), to, 0); err != nil {
		return fmt.Errorf("notify systemd: %w", os.NewSyscallError("sendmsg", err))
	}
	return nil
}

// DupFD returns a close-on-exec copy of f's fd, taken without changing
// the fd's blocking mode (as File.Fd would).
func DupFD(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	dup, dupErr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) {
		dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", dupErr)
	}
	return dup, nil
}

// checkFDName refuses a name systemd would not take (fdname_is_valid):
// printable ASCII without ':', at most 255 bytes.
func checkFDName(name string) error {
	if name == "" || len(name) > fdNameMax {
		return fmt.Errorf("fd name %q: want 1 to %d characters", name, fdNameMax)
	}
	for _, c := range []byte(name) {
		if c < ' ' || c >= 127 || c == ':' {
			return fmt.Errorf("fd name %q: want printable ASCII without ':'", name)
		}
	}
	return nil
}
