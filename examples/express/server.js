"use strict";
// One worker of the guide's app, listening the way the guide writes it:
// app.listen(PORT). poold does the clustering: no cluster module here.
//
// Under poold, the Node.js preload poold puts in front of `node` workers
// makes this listen(PORT) serve the pool's socket (docs/nodejs.md); run
// alone, it binds $PORT (3000). A launcher that passes a socket as fd 3
// (LISTEN_FDS) without the preload, such as systemd socket activation by
// itself, gets listen({fd: 3}) instead.
var createApp = require("./app");

var mb = createApp.mb;

var app = createApp();
var PORT = process.env.PORT || 3000;
var preloaded = Boolean(globalThis[Symbol.for("poold.preload")]);
var where = process.env.LISTEN_FDS && !preloaded ? { fd: 3 } : PORT;
var tag = "[WORKER " + process.pid + (process.env.POOLD_SLOT === undefined ? "" : " slot " + process.env.POOLD_SLOT) + "]";
var stopping = false;

var server = app.listen(where, function () {
  var a = server.address(); // null for an inherited unix socket
  console.log(tag + " listening on " + (a && typeof a === "object" ? a.address + ":" + a.port : a || "the inherited socket"));
});

// Once stopping, a keep-alive connection is closed as soon as its response
// is done, rather than when the client or keepAliveTimeout closes it. (Under
// poold the preload does the same; this is for the app run without it.)
server.prependListener("request", function (req, res) {
  if (stopping) {
    res.setHeader("Connection", "close");
  }
  res.on("finish", function () {
    if (stopping) {
      setImmediate(closeIdle);
    }
  });
});

function closeIdle() {
  if (typeof server.closeIdleConnections === "function") { // Node >= 18.2
    server.closeIdleConnections();
  }
}

// forceAfter is how long the drain may take: 1 s before poold's SIGKILL
// (--stop-timeout, passed as POOLD_STOP_TIMEOUT_MS; 90% of it when under
// 10 s), else the guide's 10 s.
function forceAfter() {
  var ms = Number(process.env.POOLD_STOP_TIMEOUT_MS);
  if (!(ms > 0)) {
    return 10000;
  }
  return ms >= 10000 ? ms - 1000 : Math.floor(ms * 0.9);
}

// SIGUSR2 (poolctl signal NAME USR2) prints how this worker is doing. Node
// has no handler of its own for it: without this one, SIGUSR2 would end the
// worker, as most signals a process does not handle do.
process.on("SIGUSR2", function () {
  var m = process.memoryUsage();
  var state = app.locals.sessions.state();
  console.log(tag + " up " + Math.round(process.uptime()) + "s, rss " + mb(m.rss) + ", heap " + mb(m.heapUsed) +
    " of " + mb(m.heapTotal) + ", sessions in " + state.sessions + " (redis " + state.redis + ")");
});

// Graceful stop: poold sends SIGTERM (stop, reload, scale down), then
// SIGKILL after its --stop-timeout. Stop accepting, let in-flight requests
// finish, drop idle keep-alive connections, close the Redis connection, and
// exit 0; exit 1 if connections are still open just before the SIGKILL.
process.on("SIGTERM", function () {
  if (stopping) {
    return;
  }
  stopping = true;
  var limit = forceAfter();
  setTimeout(function () {
    console.error(tag + " connections still open " + limit + " ms after SIGTERM: exiting");
    process.exit(1);
  }, limit).unref();
  server.close(function (err) {
    if (err) {
      console.error(tag + " close: " + err.message);
    }
    app.locals.sessions.close().then(function () {
      process.exit(err ? 1 : 0);
    });
  });
  closeIdle();
});
