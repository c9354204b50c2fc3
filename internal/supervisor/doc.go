// Package supervisor keeps a pool of worker processes at its target size.
//
// One goroutine, the loop started by Run, owns every worker's state. Process
// exits, notify messages, readiness probes, timers and API requests all reach
// it as events on one channel, in the order they were posted, so no mutex
// guards worker state and tests can drive the loop without sleeping.
//
// A rollout replaces the workers that ran when it started: Reload does every
// slot with a new generation, RestartWorker one slot with the same one. One
// rollout runs at a time. Each generation has its worker spec (command,
// environment, limits), which every worker of it, a crash restart's too, is
// spawned from; ReloadWith brings a new one, and when such a reload fails,
// a rollback rollout puts the slots it replaced back on the pool's
// generation before the reload returns, so that the pool is not left mixed.
//
// A reload always ends, and ends systemd's reloading state with READY=1: it
// succeeds once every slot has a ready worker of its generation, which then
// becomes the pool's, and fails at the first new worker that exits or is
// not ready in time. Every slot without a running worker when it starts, or
// whose old worker dies before it is replaced, gets a new worker at once,
// without waiting out its crash backoff.
//
// Invariants:
//   - at most one live worker occupies a slot at a time, outside a rollout;
//   - during a rollout with MaxUnavailable 0, at most one slot at a time has
//     one extra worker, and the old worker is stopped only once the new one
//     is ready, so the ready count never drops because of the rollout;
//   - during a rollout with MaxUnavailable K > 0, no slot has an extra
//     worker: at most K slots are replaced at once, stop first, and the
//     rollout stops a ready worker only if Workers-K workers stay ready;
//   - a worker is ready only after its own notify socket said READY=1, the
//     listening probe saw it wait on a pool socket, or the ready delay passed,
//     whichever the ready mode allows;
//   - a slot whose workers keep dying is respawned no faster than its backoff
//     allows, so a crash loop never becomes a fork storm (RestartWorker of an
//     empty slot, and a reload, which starts each empty slot once, are the
//     explicit exceptions);
//   - every worker that was stopped gets SIGKILL once its stop timeout
//     passes (HungGrace, if shorter, for a worker the watchdog judged hung),
//     or the later deadline its EXTEND_TIMEOUT_USEC= asked for, but at the
//     latest at the hard cap, twice the stop timeout after its SIGTERM (and a
//     starting worker is stopped at the latest twice the ready timeout after
//     its start);
//   - systemd's watchdog is pinged from the loop itself, so a stalled loop
//     stops the pings and systemd restarts the service;
//   - Freeze hands the pool's state over (an upgrade in place) only at a
//     quiescent point: no rollout runs, and every event posted before the
//     spawner stopped posting has been applied; from the freeze on, the
//     loop starts, stops and recycles nothing until Resume;
//   - every Subscription gets an event after every loop iteration that
//     changed what Status returns, and never because of a Status request;
//     the loop never waits for a subscriber (see Subscription).
package supervisor
