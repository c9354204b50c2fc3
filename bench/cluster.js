"use strict";
// The Node.js cluster contender: the clustering guide's primary, serving the
// same Express app (examples/express/server.js) as every other contender.
//
//   WORKERS=2 PORT=3000 node bench/cluster.js
//   NODE_CLUSTER_SCHED_POLICY=none ...   the kernel picks the worker (shared handle)
//
// The primary forks WORKERS workers, forks a new one when a worker dies, and
// on SIGUSR2 does the guide's rolling restart: one worker at a time, a new one
// is forked and, once it listens, the old one gets SIGTERM (server.js's
// graceful stop) and is waited for. SIGTERM or SIGINT stops all workers.
var cluster = require("cluster");
var path = require("path");

var server = path.join(__dirname, "..", "examples", "express", "server.js");
var count = Number(process.env.WORKERS || 2);
var stopTimeout = 30000;

if (!cluster.isPrimary) {
  require(server);
  return;
}

var replacing = new Set(); // workers stopped on purpose: not forked again
var stopping = false;
var restarting = false;

for (var i = 0; i < count; i++) {
  cluster.fork();
}

cluster.on("exit", function (worker, code, signal) {
  if (stopping || replacing.has(worker.id)) {
    replacing.delete(worker.id);
    return;
  }
  console.log("worker " + worker.process.pid + " died (" + (signal || code) + "), forking a new one");
  cluster.fork();
});

function stopWorker(worker) {
  return new Promise(function (resolve) {
    var timer = setTimeout(function () { worker.process.kill("SIGKILL"); }, stopTimeout);
    worker.once("exit", function () { clearTimeout(timer); resolve(); });
    worker.process.kill("SIGTERM");
  });
}

async function rollingRestart() {
  if (restarting) {
    return;
  }
  restarting = true;
  var old = Object.values(cluster.workers);
  for (var w of old) {
    var fresh = cluster.fork();
    await new Promise(function (resolve) { fresh.once("listening", resolve); });
    replacing.add(w.id);
    await stopWorker(w);
  }
  restarting = false;
  console.log("rolling restart done");
}

process.on("SIGUSR2", function () {
  rollingRestart().catch(function (err) { console.error(err); restarting = false; });
});

function shutdown() {
  stopping = true;
  Promise.all(Object.values(cluster.workers).map(stopWorker)).then(function () {
    process.exit(0);
  });
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
