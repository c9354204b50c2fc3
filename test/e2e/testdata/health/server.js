"use strict";
// A Node.js worker whose health the e2e tests steer (health_test.go). Run
// with --expose-gc. SIGUSR2 makes it hold 160 MiB more; GET /hang blocks its
// event loop for good; $SPIKE_PLAN ("WORKER_ID:MS,...") gives a worker 160
// MiB for MS milliseconds once it listens.
var http = require("node:http");

var mib160 = 160 << 20;
var held = [];
process.on("SIGUSR2", function () {
  held.push(Buffer.alloc(mib160, 1)); // filled: every page resident
  console.error("grew pid=" + process.pid);
});

var plan = {};
(process.env.SPIKE_PLAN || "").split(",").filter(Boolean).forEach(function (item) {
  var kv = item.split(":");
  plan[kv[0]] = Number(kv[1]);
});

var server = http.createServer(function (req, res) {
  if (req.url === "/hang") {
    console.error("hanging pid=" + process.pid);
    for (;;) {} // eslint-disable-line no-empty
  }
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ pid: process.pid, slot: process.env.POOLD_SLOT }));
});

server.listen(3000, function () {
  var ms = plan[process.env.POOLD_WORKER_ID];
  if (!ms) return;
  var spike = Buffer.alloc(mib160, 1);
  console.error("spike for " + ms + "ms pid=" + process.pid);
  setTimeout(function () {
    spike = null;
    global.gc();
    console.error("spike over pid=" + process.pid);
  }, ms);
});
