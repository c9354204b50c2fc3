"use strict";
// A worker written for Node's cluster module, as in the clustering guide's
// IPC section: process.send() to the master, process.on("message") from it.
// Under poold it runs unchanged, with no cluster master.
var http = require("node:http");

var received = [];
var config = null;
process.on("message", function (msg) {
  if (msg && msg.type === "config-update") {
    config = msg.data;
    return;
  }
  received.push(msg);
});

var server = http.createServer(function (req, res) {
  var url = new URL(req.url, "http://worker");
  var body = null;
  switch (url.pathname) {
    case "/invalidate": // the guide's invalidateCache(key)
      process.send({ type: "broadcast", fromPid: process.pid, data: { action: "invalidate-cache", key: url.searchParams.get("key") } });
      break;
    case "/messages":
      body = received;
      break;
    case "/config":
      body = config;
      break;
  }
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ pid: process.pid, body: body }));
});

server.listen(3000, function () {
  process.send("ready"); // PM2's wait_ready
});
