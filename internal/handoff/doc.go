// Package handoff carries a running poold's state across the exec of its
// own binary (an upgrade in place): a versioned JSON document in a sealed
// memfd, whose fd number the new process finds in its environment
// (EnvFD), beside the fds it names, which survive the exec because their
// close-on-exec flag is cleared just before it (Inherit).
//
// The design, end to end (cmd/poold's upgrade.go drives it):
//   - the old poold stops its loop at a quiescent point (no reload or
//     rollout running) and the readers of its workers' fds without closing
//     them, writes the state (sockets, the distribution's per-slot
//     sockets, workers with their pidfds, notify sockets, channels and log
//     pipes, the loop's slots, generations, backoffs and counters, the
//     configuration it runs), then
//     execs the new binary from the thread that forked every worker, so
//     that their parent-death signal does not fire: same PID, same
//     children;
//   - the new poold reads the state, adopts the workers by pidfd and takes
//     up the fds where the old one left them; it tells systemd MAINPID=
//     and READY=1 once its loop runs;
//   - a new poold that cannot take over (an unknown Version, a failure
//     before its pool runs) execs the old binary again, from an fd the old
//     one kept open on it (EnvBinary), with the state and copies of the
//     fds it made before touching any, and the reason (EnvFellBack), so
//     nothing is lost. A new binary that crashes outright cannot hand back:
//     the old poold runs it with --version first.
//
// What is not carried: lines queued for a worker's channel and not yet
// written (the worker does not lose what it sent: the unread start of a
// line is handed over), and a line a worker was writing to its output,
// which is passed on in two pieces. The D-Bus server goes with the old
// process: for the exec and the new poold's start (a few hundred
// milliseconds, a new private dbus-daemon when poold has one) poolctl
// cannot reach the pool, and the bus name is taken again. A worker's own
// cgroup is opened again by its name, not handed over as an fd. A stop
// (SIGTERM) that comes while the pool is frozen is carried in the state,
// and the new poold drains at once; but signals that come in the last
// moment before the exec are ignored, not left pending (a pending one
// would kill the new poold before it can catch it): such a stop is lost,
// and systemd's stop timeout applies.
//
// Invariants:
//   - the memfd is sealed (no write, grow, shrink or new seal) before it is
//     handed over: a reader sees exactly what was written;
//   - a reader refuses a version it does not know (VersionError) rather
//     than guess at the fields;
//   - Read leaves the memfd open and reads it from its start;
//   - fds keep close-on-exec until Inherit, just before the exec: no other
//     child of poold gets them.
package handoff
