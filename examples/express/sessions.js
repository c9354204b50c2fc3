"use strict";
// Sessions for the guide's app: express-session with connect-redis and
// ioredis, as in the guide's "Shared State with Redis", so that a login made
// on one worker is seen by every worker and outlives worker restarts and
// reloads.
//
// Where the sessions go is decided once per worker, when it starts:
//
// - REDIS_URL, REDIS_HOST or REDIS_PORT set ("Redis configured"): Redis,
//   always. If Redis is down, at start-up or later, the routes that use the
//   session answer 503 (JSON naming Redis) at once, without waiting, and work
//   again by themselves once ioredis has reconnected (it retries every second
//   at most). A configured Redis never falls back to memory: sessions that
//   silently became per worker would be worse than a clear error.
// - none of them set: Redis on 127.0.0.1:6379 if it answers within
//   PROBE_TIMEOUT_MS, and then the same as above; else express-session's
//   MemoryStore, with a loud warning on stderr: sessions are then per worker
//   and lost when the worker exits. A Redis started later is used by workers
//   started later (reload the pool), not by this one.
var session = require("express-session");
var RedisStore = require("connect-redis").default; // connect-redis 7's export, as in the guide
var Redis = require("ioredis");

// PROBE_TIMEOUT_MS bounds the start-up check for a Redis on the default
// address, when none is configured.
var PROBE_TIMEOUT_MS = 1000;
// FIRST_CONNECT_TIMEOUT_MS bounds how long a session request made while the
// worker's first connection to a configured Redis is under way waits for it
// (a new worker serves at once; its first session request may come before
// Redis has answered).
var FIRST_CONNECT_TIMEOUT_MS = 2000;
// REDIS_TIMEOUT_MS bounds a connection attempt and each command: a Redis
// that accepts but does not answer fails the request instead of hanging it.
var REDIS_TIMEOUT_MS = 2000;
// RECONNECT_MAX_MS caps ioredis's reconnect backoff, so that a worker is back
// on Redis within about a second of Redis being back.
var RECONNECT_MAX_MS = 1000;

function slot() {
  return process.env.POOLD_SLOT;
}

function workerTag() {
  return "[WORKER " + process.pid + (slot() === undefined ? "" : " slot " + slot()) + "]";
}

function servedBy() {
  return { pid: process.pid, slot: slot() };
}

// redisTarget reads REDIS_URL, else REDIS_HOST and REDIS_PORT.
function redisTarget(env) {
  if (env.REDIS_URL) {
    var u = new URL(env.REDIS_URL); // throws on a malformed URL: a configuration error
    return { configured: true, url: env.REDIS_URL, label: u.hostname + ":" + (u.port || 6379) };
  }
  var host = env.REDIS_HOST || "127.0.0.1";
  var port = parseInt(env.REDIS_PORT, 10) || 6379;
  return { configured: Boolean(env.REDIS_HOST || env.REDIS_PORT), host: host, port: port, label: host + ":" + port };
}

function sessionOptions(env, store) {
  return {
    store: store, // undefined: express-session's MemoryStore
    secret: env.SESSION_SECRET || "change-me-in-production",
    resave: false,
    saveUninitialized: false,
    cookie: {
      secure: env.NODE_ENV === "production",
      httpOnly: true,
      maxAge: 1000 * 60 * 60 * 24 // 24 hours
    }
  };
}

// createSessions returns the session middleware for the routes that use
// the session, an error handler for them, and the state /health reports.
function createSessions(env) {
  var tag = workerTag();
  var target = redisTarget(env);
  var probing = !target.configured; // one attempt only, no reconnecting
  var options = {
    lazyConnect: true,
    enableOfflineQueue: false, // while disconnected, a command fails at once instead of waiting
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_TIMEOUT_MS,
    commandTimeout: REDIS_TIMEOUT_MS,
    retryStrategy: function (times) {
      return probing ? null : Math.min(times * 100, RECONNECT_MAX_MS);
    }
  };
  var client = target.url ? new Redis(target.url, options) : new Redis(Object.assign({ host: target.host, port: target.port }, options));
  var kind = "pending"; // then "redis" or "memory"
  var decidedYet = false;
  var up = false; // Redis ready, as last logged
  var lastError = "";
  var middleware = null;

  client.on("ready", function () {
    if (!up) {
      up = true;
      lastError = "";
      console.log(tag + " connected to Redis at " + target.label + ": sessions are shared by every worker");
    }
  });
  client.on("error", function (err) {
    // ioredis reports every failed reconnection: log the first of a kind.
    // While probing, the warning below says it.
    if (err.message !== lastError) {
      lastError = err.message;
      if (!probing) {
        console.error(tag + " Redis error (" + target.label + "): " + err.message);
      }
    }
  });
  client.on("close", function () {
    if (up && !probing) {
      up = false;
      console.error(tag + " lost Redis at " + target.label + ": session routes answer 503 until it is back; reconnecting");
    }
    up = false;
  });

  var decided = new Promise(function (resolve) {
    var timer = setTimeout(function () { resolve(false); }, probing ? PROBE_TIMEOUT_MS : FIRST_CONNECT_TIMEOUT_MS);
    client.connect().then(
      function () { clearTimeout(timer); resolve(true); },
      function (err) { lastError = lastError || (err && err.message) || String(err); clearTimeout(timer); resolve(false); }
    );
  }).then(function (connected) {
    decidedYet = true;
    if (target.configured || connected) {
      probing = false; // from now on ioredis reconnects whenever the connection drops
      kind = "redis";
      middleware = session(sessionOptions(env, new RedisStore({ client: client })));
      if (!connected && client.status === "end") {
        client.connect().catch(function () {}); // the first attempt ended without retrying: try again
      }
      return;
    }
    client.disconnect();
    kind = "memory";
    middleware = session(sessionOptions(env, undefined));
    var why = lastError || "no answer within " + PROBE_TIMEOUT_MS + " ms";
    console.error(tag + " WARNING: no Redis at " + target.label + " (" + why + "), and REDIS_URL, REDIS_HOST and REDIS_PORT are unset:");
    console.error(tag + " WARNING: sessions use express-session's MemoryStore, IN THIS WORKER ONLY. A login made here is unknown to the other workers");
    console.error(tag + " WARNING: (a client sent to another worker is logged out) and is LOST when this worker exits: crash, reload, scale down.");
    console.error(tag + " WARNING: for sessions shared by every worker, start redis-server or set REDIS_URL, then reload the pool.");
  });

  function redisState() {
    if (kind === "memory") return "not used";
    if (client.status === "ready") return "up";
    return decidedYet ? "down" : "connecting";
  }

  function unavailable(res) {
    res.status(503).set("Retry-After", "1").json({
      error: "Session store unavailable: Redis at " + target.label + " is down (" + client.status + "); try again later",
      redis: "down",
      servedBy: servedBy()
    });
  }

  return {
    // middleware runs express-session, once the store is decided; with
    // Redis down it answers 503 at once.
    middleware: function (req, res, next) {
      decided.then(function () {
        if (kind === "redis" && client.status !== "ready") {
          unavailable(res);
          return;
        }
        middleware(req, res, next);
      }).catch(next);
    },
    // errorHandler turns a session store error into a 503 naming Redis.
    errorHandler: function (err, req, res, next) {
      if (kind !== "redis") {
        next(err);
        return;
      }
      if (res.headersSent) { // express-session saves or touches after answering
        console.error(tag + " Redis error after answering " + req.method + " " + req.path + ": " + err.message);
        return;
      }
      console.error(tag + " " + req.method + " " + req.path + ": Redis error: " + err.message);
      res.status(503).set("Retry-After", "1").json({
        error: "Session store error: Redis at " + target.label + ": " + err.message,
        redis: redisState(),
        servedBy: servedBy()
      });
    },
    // state is what /health reports.
    state: function () {
      return { sessions: kind, redis: redisState(), redisAddress: target.label };
    },
    kind: function () { return kind; },
    // close ends the Redis connection: once the server has drained.
    close: function () {
      probing = true; // no reconnecting
      if (client.status !== "ready") {
        client.disconnect();
        return Promise.resolve();
      }
      return Promise.race([
        client.quit().catch(function () {}),
        new Promise(function (resolve) { setTimeout(resolve, 1000).unref(); })
      ]);
    }
  };
}

module.exports = createSessions;
module.exports.servedBy = servedBy;
