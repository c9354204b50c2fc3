// Package privatebus runs the D-Bus daemon of a pool that has neither the
// system bus (poold is not a system service) nor a session bus: poold starts
// a dbus-daemon of its own on the socket DIR/bus, where poolctl finds it with
// no configuration (see internal/rundir and controlbus.Candidates).
//
// # Invariants
//
//   - The daemon does not outlive poold. Close stops it (SIGTERM, then
//     SIGKILL after a timeout). If poold dies first, the kernel sends it
//     SIGKILL (Pdeathsig): the daemon is started from a goroutine that holds
//     its OS thread until the daemon exits, because Pdeathsig fires when the
//     forking thread exits, not the process (golang/go#27505). As a last
//     resort the next poold's sweep of stale directories calls KillStale
//     for a bus directory whose lock (held by poold, see rundir.MakeBusDir) is free;
//     it kills the daemon recorded in DIR only after checking, through a
//     pidfd, that the PID still belongs to that daemon.
//   - The daemon is in its own process group, so a Ctrl-C in poold's
//     terminal does not take the control plane down before the pool drains.
//   - Every local user who can reach the directory can connect (it is
//     0711, the socket 0777, <allow user="*"/>; see internal/rundir for
//     who reaches a base); what they may do is the shipped policy
//     (dbusapi/policy), the same rules as on the system bus, plus the rights
//     of root for the uid that runs poold: a user controls their own pool.
//   - Only EXTERNAL authentication: the daemon knows each peer's uid from the
//     kernel.
package privatebus
