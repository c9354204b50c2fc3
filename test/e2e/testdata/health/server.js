"use strict";
// A Node.js worker whose health the e2e tests steer (health_test.go). Run
// with --expose-gc. SIGUSR2 makes it hold 160 MiB more; GET /hang blocks its
// event loop for good; $SPIKE_PLAN ("WORKER_ID:MS,...") makes a worker, once
// it listens, hold memory until its resident set is above $SPIKE_ABOVE_MIB
// (poold's --recycle-memory), keep it there for MS milliseconds, and free
// it.
//
// Memory grows a few MiB per turn of the event loop, filled so that every
// page is resident: the worker keeps answering meanwhile, as a worker that
// leaks does. Filled in one go, it would block the loop for as long as
// that takes (seconds on a busy machine), and the connections it had just
// accepted would wait as long.
var http = require("node:http");

var step = 4 << 20;
var held = [];

// grow holds mib MiB more in held, then calls done.
function grow(mib, held, done) {
  if (mib <= 0) return done();
  held.push(Buffer.alloc(step, 1));
  setImmediate(grow, mib - step / (1 << 20), held, done);
}

// growAbove holds memory in held until the resident set is above limit
// bytes, then calls done.
function growAbove(limit, held, done) {
  if (process.memoryUsage.rss() > limit) return done();
  held.push(Buffer.alloc(step, 1));
  setImmediate(growAbove, limit, held, done);
}

process.on("SIGUSR2", function () {
  grow(160, held, function () {
    console.error("grew pid=" + process.pid);
  });
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

// spike is above the limit from when the resident set is 8 MiB over it:
// the breach poold sees lasts ms and a step, whatever the growth took.
function spike(ms) {
  var limit = (Number(process.env.SPIKE_ABOVE_MIB) + 8) << 20;
  var spiked = [];
  growAbove(limit, spiked, function () {
    console.error("spike for " + ms + "ms pid=" + process.pid);
    setTimeout(function () {
      spiked = null;
      global.gc();
      console.error("spike over pid=" + process.pid);
    }, ms);
  });
}

server.listen(3000, function () {
  var ms = plan[process.env.POOLD_WORKER_ID];
  if (ms) spike(ms);
});
