// Package supervisor keeps a pool of worker processes at its target size.
//
// One goroutine, the loop started by Run, owns every worker's state. Process
// exits, notify messages, readiness probes, timers and API requests all reach
// it as events on one channel, in the order they were posted, so no mutex
// guards worker state and tests can drive the loop without sleeping.
//
// Invariants:
//   - at most one live worker occupies a slot at a time, outside a reload;
//   - a worker is ready only after its own notify socket said READY=1, the
//     listening probe saw it wait on a pool socket, or the ready delay passed,
//     whichever the ready mode allows;
//   - a slot whose workers keep dying is respawned no faster than its backoff
//     allows, so a crash loop never becomes a fork storm;
//   - every worker that was stopped gets SIGKILL once its stop timeout passes;
//   - systemd's watchdog is pinged from the loop itself, so a stalled loop
//     stops the pings and systemd restarts the service.
package supervisor
