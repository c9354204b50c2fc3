// Package channel is poold's side of the workers' stream channel
// (docs/worker-contract.md, "The stream channel"): one unix stream socket
// pair per worker carrying JSON lines, through which workers that cannot
// send datagrams (Node.js) say ready, report metrics and broadcast, and
// poold delivers broadcasts and the worker configuration.
//
// Invariants:
//   - Nothing a worker does on its channel blocks poold or another worker:
//     lines to a worker go through a bounded queue, and what does not fit
//     is dropped and counted.
//   - A worker gets config and messages only after its hello.
//   - Lines are at most MaxLine bytes; a broadcast's or the config's data at
//     most MaxData, so that every line poold writes fits in MaxLine too.
package channel
