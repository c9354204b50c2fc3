// Package node carries poold's npm package "poold" (index.js, the module
// that speaks the worker's stream channel, and preload.js, the preload that
// poold puts in front of node workers; docs/nodejs.md) for poold to write
// into its runtime directory. The JavaScript and its tests live here, beside
// this file: npm test (node --test test/) runs them.
package node

import "embed"

// Files are the package's files that a worker needs: package.json,
// index.js and preload.js, at the top of the FS.
//
//go:embed package.json index.js preload.js
var Files embed.FS
