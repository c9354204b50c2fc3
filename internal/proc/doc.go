// Package proc starts and watches real worker processes for the supervisor.
//
// Every worker is exec'd through a trampoline: poold re-executes itself with
// argv[0] set to TrampolineArg0, the trampoline sets LISTEN_PID to its own PID
// and execs the worker command, which keeps that PID. That is how a worker
// gets the LISTEN_PID that sd_listen_fds(3) checks, which Go cannot set for a
// child before exec.
//
// A worker is known by its pidfd (SysProcAttr.PidFD): it is signalled and
// waited for through it, never by a PID alone. That is also how a poold
// exec'd by an upgrade in place takes over the workers it did not start
// (Freeze, then Adopt in the new process): the pidfd, the notify socket,
// the channel and the output pipes cross the exec, and the same code
// watches a started and an adopted worker.
//
// Invariants:
//   - each worker leads its own process group, and is signalled as a group;
//   - a worker's process group is killed when its leader exits, before the
//     leader is reaped, so its PGID cannot have been reused by then and no
//     orphan of a dead worker keeps serving on the pool's sockets;
//   - with per-worker cgroups (Config.Cgroups), a worker is cloned straight
//     into its own cgroup (CLONE_INTO_CGROUP); SIGKILL and its leader's exit
//     also kill everything in that cgroup, so a child that left the process
//     group dies with it too, and the cgroup is removed before Exited is
//     posted, with OOMKilled set when the cgroup counted an OOM kill;
//   - without per-worker cgroups, once a worker is reaped, the processes
//     that hold one of the pool's sockets and whose environment names that
//     worker (POOLD_POOL, POOLD_WORKER_ID) are killed; a live worker's are
//     never;
//   - every worker has PR_SET_PDEATHSIG SIGKILL, forked from one thread
//     that lives as long as poold, so workers die with poold; poold's main
//     thread (ServeForks), which also execs an upgrade (Exec), so that the
//     workers outlive the exec, and the next poold forks from it too;
//   - after Freeze no goroutine of the spawner reads a worker's fds or
//     waits for its exit, and no fd of a running worker is closed: a
//     worker that exits meanwhile stays a zombie for the next poold to
//     reap;
//   - each signal reaches each process of a worker's group once, and the
//     leader once even when it left the group;
//   - a process is reaped only by the goroutine that started it; the orphan
//     reaper (PID 1 only) never touches a PID this package manages;
//   - a notify datagram is posted only if the worker, or a process it
//     started, sent it as poold's user or root (sentBy, after systemd's
//     NotifyAccess=all); the others are dropped, counted, and logged once
//     per worker;
//   - a worker's notify socket is bound again at its path when its file is
//     lost (RebindNotify); every socket it had stays open until it exits,
//     and Exited is posted exactly once per started worker, after they are
//     all closed.
package proc
