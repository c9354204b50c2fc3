// Package metrics exports a pool in the Prometheus text format.
//
// Invariants:
//   - A scrape reads one supervisor snapshot (Status), the workers' channel
//     stats and /proc for the workers in it, at scrape time; nothing about a
//     worker is kept between scrapes, so a worker's series are gone from the
//     first scrape after it left the snapshot, and the per-worker label sets
//     are bounded by the workers alive at once.
//   - Counters come from the supervisor's own running totals, never from
//     events counted here, so they match poolctl and survive missed events.
//   - The reload-duration histogram is the one value kept here: one
//     observation per reload the supervisor counted, taken by Follow from
//     each reload's ReloadFinished event and caught up by every scrape, so
//     that its count equals poold_reloads_total in every scrape.
package metrics
