// The clustering guide's Express worker as the guide writes it, without its
// cluster module: it knows nothing of poold, listens on $PORT or 3000, and
// has no SIGTERM handler. Under poold, the Node.js preload makes its listen
// serve the pool's socket and drains it on SIGTERM (docs/nodejs.md).
var express = require("express");

var app = express();
var PORT = process.env.PORT || 3000;

app.get("/", function (req, res) {
  res.json({
    pid: process.pid,
    uptime: process.uptime(),
    memory: Math.round(process.memoryUsage().rss / 1024 / 1024) + "MB"
  });
});

app.get("/health", function (req, res) {
  res.status(200).json({ status: "ok", pid: process.pid });
});

app.listen(PORT, function () {
  console.log("Worker " + process.pid + " listening on port " + PORT);
});
