// Package cgroup decides poold's default worker count ("auto") from the limits
// the kernel really enforces on this process, and explains the decision in one
// line that poold logs at start and shows in status. It also gives each
// worker a cgroup of its own when poold's cgroup is delegated to it
// ([Detect], [Setup], [Workers]).
//
// Invariants:
//
//   - The worker count is never taken from the host's core count alone. The
//     CPU affinity mask (which the kernel keeps within the cpuset) is the base;
//     the host count is only a fallback when the mask is unknown, it is still
//     capped by the CFS quota and by memory, and the reason line says so.
//   - A limit is the tightest one over the process's cgroup and every ancestor
//     visible under the mount: a slice's limit binds the services below it.
//   - [Size] never returns fewer than 1 worker, and its Reason names every
//     input that mattered, the deciding one first.
//   - A missing cgroup file is not an error (the controller is not enabled at
//     that level), and no cgroup filesystem at all gives Version 0 and no
//     error. An unreadable or garbled file is an error that names the file.
//   - Reading is a pure function of a directory tree ([ReadFrom]), so every
//     layout (v2, v1, hybrid, none) is tested from fixtures in testdata/.
//
// Layouts. On the unified hierarchy (v2) /proc/self/cgroup holds "0::/path"
// and limits come from cpu.max, memory.max, memory.high and
// cpuset.cpus.effective. On v1 each controller has its own line
// ("4:memory:/path") and mount, and limits come from cpu.cfs_quota_us and
// cpu.cfs_period_us, memory.limit_in_bytes and cpuset.cpus. In the hybrid
// layout a controller mounted as v1 is read from v1, the rest from v2.
//
// The mount's root field (mountinfo field 4) is stripped from the process's
// cgroup path to find its directory under the mount point; a path that lies
// outside the mount's root (a cgroup namespace shows it as "/../..") cannot be
// reached and its controller counts as absent.
//
// Worker cgroups. Invariants:
//
//   - Only a cgroup v2 cgroup of poold's own is divided: delegated by the
//     service manager (systemd's user.delegate or trusted.delegate extended
//     attribute, set by Delegate=yes) under --worker-cgroups=auto, any
//     writable one under =on; never the hierarchy's root, whose processes
//     are the whole host's.
//   - The no-internal-processes rule holds: poold moves itself into
//     <cgroup>/supervisor before it enables a controller for the children
//     and before it starts any process; workers live in
//     <cgroup>/worker-SLOT-ID, nothing else of poold's is created there.
//   - A worker's cgroup is removed only once it is empty: what is left in
//     it is killed (cgroup.kill), and the removal waits for cgroup.events
//     to say "populated 0" (poll(2), no sleeping), for a bounded time.
//   - Controller files are written only when Setup enabled the controller
//     for the children; a missing controller is reported, never faked.
//   - Everything but the xattr check and the directory syscalls reads and
//     writes plain files below a root, so a fake tree tests it; the rest is
//     tested on the kernel's own hierarchy where the test may write one.
package cgroup
