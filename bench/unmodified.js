"use strict";
// The drain experiment's app (bench/drain.go): the same Express app every
// contender serves (examples/express/app.js), started the way docs/nodejs.md
// starts an unmodified app: listen on a port, no SIGTERM handler, nothing of
// poold's. Under poold, the Node.js preload gives this listen() the pool's
// socket and, unless poold runs with --node-drain off, drains the worker on
// SIGTERM; without the drain, SIGTERM ends the worker at once (Node's
// default).
var createApp = require("../examples/express/app");

createApp().listen(process.env.PORT || 3000);
