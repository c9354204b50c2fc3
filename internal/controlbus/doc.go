// Package controlbus is the plumbing under a pool's control plane: which
// bus poold serves its pool on, the private dbus-daemon it starts when there
// is no other (internal/privatebus, in the runtime directory's bus
// directory, see internal/rundir), and where poolctl finds pools (the
// system and session buses, the private buses in the runtime bases).
// dbusapi is the API served on the bus; this package never exports objects.
//
// # Invariants
//
//   - The fallback to a private bus is decided in Serve alone, and only for
//     --bus auto: a shared bus that cannot be reached, or a system bus that
//     refuses to serve the pool. A namesake on the bus is never a reason.
//   - A private bus lives in a bus directory whose lock poold holds for the
//     bus's lifetime; Conn.Close stops the daemon, then removes the
//     directory and lets the lock go.
//   - Candidates lists a private bus only when the base and the socket
//     belong to a user whose pools the caller may see, and the bus's poold
//     is alive (rundir.BusAlive, else the socket accepts connections).
package controlbus
