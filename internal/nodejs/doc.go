// Package nodejs puts poold's Node.js preload (preload.js, embedded in the
// binary) in front of node workers, so that an app that calls
// app.listen(3000) serves the pool's sockets and drains on SIGTERM without
// a change (docs/nodejs.md).
//
// Invariants:
//   - Only a command whose executable is node or nodejs gets the preload;
//     every other command's environment is left as it is.
//   - The preload comes first in NODE_OPTIONS; whatever NODE_OPTIONS held
//     before follows unchanged.
//   - The preload acts only in the process LISTEN_PID names, so node
//     processes that a worker starts are not affected.
package nodejs
