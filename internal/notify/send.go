package notify

import (
	"fmt"
	"net"
)

// Send sends state (for example "READY=1\nSTATUS=up") as one datagram to the
// notify socket at path; a path starting with '@' names an abstract socket,
// as in NOTIFY_SOCKET. It sends no credentials or fds explicitly (the
// receiver's SO_PASSCRED still reports the caller), and does not check state:
// Message.Encode builds a valid one.
func Send(path, state string) error {
	if path == "" {
		return ErrNoPath
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	_, err = c.Write([]byte(state))
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}
