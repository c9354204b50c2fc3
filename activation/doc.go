// Package activation is poold's contract with systemd: the listening sockets
// it serves on, and the notifications and watchdog pings it sends back.
//
// Invariants:
//
//   - Every Socket is a listening SOCK_STREAM socket (TCP or unix), open for
//     poold's whole lifetime: workers come and go, the sockets stay, so no
//     connection is refused during a restart or a reload. Socket.File is
//     close-on-exec in poold; poold hands the fds to its workers explicitly.
//   - A Socket's blocking mode is the one systemd gave (NonBlocking=), or
//     blocking when poold bound it itself, and Go's netpoller never sees the
//     fd: poold does no I/O on it, its workers accept on it.
//   - A Socket's backlog is the one it was made with (Socket.Backlog):
//     a worker's listen(2) on its copy changes it for every worker, and
//     RestoreBacklog sets it again.
//   - Nothing of systemd's protocol environment leaks to children:
//     FromEnvironment unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES,
//     NewNotifier unsets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (and
//     keeps the notify address to itself). StripEnv removes them from an
//     environment built elsewhere.
//   - What poold binds itself may outlive it: StoreFDs offers a socket to
//     systemd's fd store (FDSTORE=1), from which systemd hands it to the
//     next poold after a crash. Which sockets, and taking them back
//     (TakeBack, distribute.Keep), is the callers'.
//   - Adapters are tri-state like go-systemd's SdNotify: not being under
//     systemd is not an error. FromEnvironment returns (nil, nil) and every
//     Notifier method is a no-op returning nil, so the same binary runs in a
//     terminal, where Bind creates the sockets from --listen values.
//
// Sockets come from one of two places:
//
//   - FromEnvironment: systemd's sd_listen_fds(3) protocol (LISTEN_PID,
//     LISTEN_FDS, LISTEN_FDNAMES; fds from 3 on). Among them may be sockets
//     a previous poold of the unit put in systemd's fd store (StoreFDs),
//     named SlotStoreName or ListenStoreName: they come back apart, in
//     Passed.Stored, never as sockets of the socket unit.
//   - ParseListen and Bind: "--listen [NAME=]ADDRESS" values, bound the way a
//     socket unit's ListenStream= would be (SO_REUSEADDR, backlog SOMAXCONN,
//     IPv6 wildcard dual-stack, stale unix socket files replaced).
package activation
