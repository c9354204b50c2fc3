"use strict";
// The guide's Express application, unchanged in spirit: a factory, so that
// every worker (and every test) gets a fresh app.
var express = require("express");

// DEFAULT_HEAVY_N is the guide's CPU loop length for /heavy.
var DEFAULT_HEAVY_N = 5e7;
var MAX_HEAVY_N = 1e10;

function createApp() {
  var app = express();

  app.get("/", function (req, res) {
    res.json({
      pid: process.pid,
      slot: process.env.POOLD_SLOT,
      uptime: process.uptime(),
      memory: Math.round(process.memoryUsage().rss / 1024 / 1024) + "MB"
    });
  });

  app.get("/health", function (req, res) {
    res.status(200).json({ status: "ok", pid: process.pid });
  });

  // Simulate CPU-bound work; ?n= overrides the loop length.
  app.get("/heavy", function (req, res) {
    var n = DEFAULT_HEAVY_N;
    if (req.query.n !== undefined) {
      n = Number(req.query.n);
      if (!Number.isFinite(n) || n < 0 || n > MAX_HEAVY_N) {
        res.status(400).json({ error: "n must be a number from 0 to " + MAX_HEAVY_N });
        return;
      }
    }
    var result = 0;
    for (var i = 0; i < n; i++) {
      result += Math.sqrt(i);
    }
    res.json({ pid: process.pid, n: n, result: result });
  });

  return app;
}

module.exports = createApp;
