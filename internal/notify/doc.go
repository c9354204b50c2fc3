// Package notify is poold's end of the sd_notify protocol: one AF_UNIX
// datagram socket per worker, handed to the worker as NOTIFY_SOCKET, so a
// worker talks to poold exactly as it would talk to systemd.
//
// # Invariants
//
//   - Every file descriptor that arrives with a datagram (SCM_RIGHTS) is
//     closed before Receive returns. poold keeps no worker fds: FDSTORE=1 is
//     reported in Message.FDStore, never honoured. Closing at once is also
//     what releases systemd-notify, which sends BARRIER=1 with a pipe fd and
//     waits until the receiver has closed it.
//   - A bad datagram never ends reception. Parse errors, over-long
//     datagrams and odd control data are returned in Datagram.Err; the error
//     result of Receive is only for socket failures, and is net.ErrClosed
//     (errors.Is) after Close.
//   - The sender's pid/uid/gid come from the kernel (SO_PASSCRED is set
//     before the socket is bound, so no datagram arrives without them),
//     never from the payload: MAINPID= is a claim, Datagram.PID is a fact.
//     Socket.Accept judges them before anything else is done with the
//     datagram, and before its fds are closed, so that a sender waiting on
//     them is still there to be judged.
//   - A socket file is 0600: only its owner and root may send. Close
//     removes the file only while it is still the one the socket bound.
//   - Parse is pure and total: for every input b, if m, _ := Parse(b), then
//     Parse([]byte(m.Encode())) returns m and no error (checked by FuzzParse).
//
// # Protocol
//
// A datagram is at most MaxDatagram bytes of newline-separated KEY=VALUE
// assignments (systemd's NOTIFY_BUFFER_MAX, PIPE_BUF). Keys understood here:
//
//	READY=1              the worker finished starting (or reloading)
//	RELOADING=1          the worker is reloading its configuration
//	STOPPING=1           the worker is shutting down
//	STATUS=text          free-form status; empty clears it; UTF-8, no NUL
//	MAINPID=pid          the worker's main process is another pid
//	ERRNO=n              errno-style failure code, n >= 0
//	WATCHDOG=1           keep-alive ping
//	WATCHDOG=trigger     the worker asks to be treated as hung
//	WATCHDOG_USEC=usec   the worker asks for another watchdog timeout
//	EXTEND_TIMEOUT_USEC=usec  the worker asks for more time in the current phase
//	FDSTORE=1            the worker passes fds to keep (not supported: closed)
//	BARRIER=1            synchronisation: the passed pipe fd is closed
//
// Other keys are kept by name in Message.Unknown for logs. Like systemd's
// manager, a valued key counts only on its first assignment, while a flag
// counts if any line sets it.
package notify
