"use strict";
// The guide's Express application (its complete example's app.js): a
// factory, so that every worker (and every test) gets a fresh app, with
// sessions in Redis shared by every worker (sessions.js says when they fall
// back to memory).
//
// Unlike the guide, the session middleware is on the routes that use the
// session only, not app.use()d for all: /, /health and /heavy neither need
// nor wait for Redis, and keep answering while it is down.
var express = require("express");
var createSessions = require("./sessions");

var servedBy = createSessions.servedBy;

// DEFAULT_HEAVY_N is the guide's CPU loop length for /heavy.
var DEFAULT_HEAVY_N = 5e7;
var MAX_HEAVY_N = 1e10;

function mb(bytes) {
  return Math.round(bytes / 1024 / 1024) + "MB";
}

// jsonLine is res.json with a newline after the JSON, so that answers
// printed one after another (curl ...; curl ...) stay on lines of their own.
function jsonLine(body) {
  if (!this.get("Content-Type")) {
    this.type("json");
  }
  return this.send(JSON.stringify(body) + "\n");
}

function createApp() {
  var app = express();
  var sessions = createSessions(process.env);
  app.locals.sessions = sessions; // server.js closes it once drained
  app.use(function (req, res, next) {
    res.json = jsonLine;
    next();
  });

  app.get("/", function (req, res) {
    var slot = process.env.POOLD_SLOT;
    res.json({
      message: "Hello from worker " + process.pid + (slot === undefined ? "" : " (slot " + slot + ")"),
      pid: process.pid,
      slot: slot,
      uptime: process.uptime(),
      memory: mb(process.memoryUsage().rss)
    });
  });

  // The worker's health. Redis down makes it "degraded" but still 200: the
  // worker itself is fine, and replacing it would not bring Redis back.
  app.get("/health", function (req, res) {
    var state = sessions.state();
    var m = process.memoryUsage();
    res.status(200).json({
      status: state.redis === "down" ? "degraded" : "ok",
      pid: process.pid,
      slot: process.env.POOLD_SLOT,
      uptime: process.uptime(),
      memory: { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal) },
      sessions: state.sessions,
      redis: state.redis,
      redisAddress: state.redisAddress
    });
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

  // Log in: a new session (a new id: no session fixation) that says who
  // logged in, when, and on which worker.
  app.post("/login", sessions.middleware, function (req, res, next) {
    req.session.regenerate(function (err) {
      if (err) {
        next(err);
        return;
      }
      req.session.userId = "user_" + Date.now();
      req.session.loginTime = Date.now();
      req.session.loginPid = process.pid;
      req.session.loginSlot = process.env.POOLD_SLOT;
      req.session.save(function (err) { // saved before answering: a store error is a 503, not a lost login
        if (err) {
          next(err);
          return;
        }
        res.json({
          message: "Logged in",
          userId: req.session.userId,
          loginTime: req.session.loginTime,
          pid: process.pid,
          slot: process.env.POOLD_SLOT,
          sessionStore: sessions.kind()
        });
      });
    });
  });

  app.get("/session", sessions.middleware, function (req, res) {
    if (!req.session.userId) {
      res.status(401).json({ error: "Not logged in: POST /login first", servedBy: servedBy() });
      return;
    }
    res.json({
      userId: req.session.userId,
      loginTime: req.session.loginTime,
      loginPid: req.session.loginPid,
      loginSlot: req.session.loginSlot,
      servedBy: servedBy(),
      sessionStore: sessions.kind()
    });
  });

  app.post("/logout", sessions.middleware, function (req, res, next) {
    req.session.destroy(function (err) {
      if (err) {
        next(err);
        return;
      }
      res.json({ message: "Logged out", servedBy: servedBy() });
    });
  });

  app.use(sessions.errorHandler);
  return app;
}

module.exports = createApp;
module.exports.mb = mb;
