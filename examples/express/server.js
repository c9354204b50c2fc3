"use strict";
// One worker. Under poold (or systemd socket activation) the listening socket
// is inherited as fd 3 (LISTEN_FDS is set); run alone, it listens on $PORT.
// poold does the clustering: no cluster module here.
var createApp = require("./app");

var app = createApp();
var inherited = Boolean(process.env.LISTEN_FDS);
var where = inherited ? { fd: 3 } : Number(process.env.PORT || 3000);
var label = inherited ? "fd 3 (" + (process.env.LISTEN_FDNAMES || "inherited") + ")" : "port " + where;
var stopping = false;

var server = app.listen(where, function () {
  var slot = process.env.POOLD_SLOT === undefined ? "" : " slot " + process.env.POOLD_SLOT;
  console.log("worker " + process.pid + slot + " listening on " + label);
});

// Once stopping, a keep-alive connection is closed as soon as its response
// is done, rather than when the client or keepAliveTimeout closes it.
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

// Graceful stop: poold sends SIGTERM, then SIGKILL after its --stop-timeout.
// Stop accepting, let in-flight requests finish, drop idle keep-alive
// connections, and exit 0 once the server is closed.
process.on("SIGTERM", function () {
  stopping = true;
  server.close(function (err) {
    if (err) {
      console.error("worker " + process.pid + ": close: " + err.message);
      process.exit(1);
    }
    process.exit(0);
  });
  closeIdle();
});
