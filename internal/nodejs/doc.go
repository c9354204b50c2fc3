// Package nodejs puts poold's Node.js preload in front of node workers, so
// that an app that calls app.listen(3000) serves the pool's sockets and
// drains on SIGTERM without a change, and lets them require('poold'), the
// module that speaks the stream channel (docs/nodejs.md). Both come from
// the npm package in node/, embedded in the binary, which Install writes
// into poold's runtime directory.
//
// Invariants:
//   - Only a command whose executable is node or nodejs gets the preload;
//     every other command's environment is left as it is.
//   - The preload comes first in NODE_OPTIONS, and the package's
//     node_modules directory first in NODE_PATH; whatever they held before
//     follows unchanged.
//   - The preload acts only in the process LISTEN_PID names, so node
//     processes that a worker starts are not affected.
package nodejs
