'use strict';
// require('poold'): a Node.js worker's side of poold's stream channel
// (docs/worker-contract.md, "The stream channel"; docs/nodejs.md). Under
// poold (POOLD_CHANNEL_FD set, LISTEN_PID this process's when set) it
// opens the channel: it says hello, sends sd_notify states, metrics as
// heartbeats and broadcasts, and emits what poold sends ('config',
// 'message', 'warning'). Anywhere else every method does nothing, so that an
// app runs unchanged without poold.
//
// One channel per process: every copy of this module (poold's preload's,
// an app's own from node_modules) returns the same object, kept on
// globalThis. It never keeps the process alive, and never throws into the
// app: a channel that closes or fails makes it inactive.
// Plain CommonJS, no dependencies, Node 18 and later.

const { EventEmitter } = require('node:events');
const net = require('node:net');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const kChannel = Symbol.for('poold.channel');

// MAX_LINE is the longest line either side may write, newline included.
const MAX_LINE = 65536;
// MAX_QUEUED bounds what waits in the socket's buffer when poold does not
// read: lines beyond it are dropped.
const MAX_QUEUED = 1 << 20;
// DEFAULT_HEARTBEAT_MS is the metrics interval without WATCHDOG_USEC.
const DEFAULT_HEARTBEAT_MS = 5000;
// LOOP_RESOLUTION_MS is the event loop delay histogram's timer.
const LOOP_RESOLUTION_MS = 10;
// MAX_WARNED bounds the distinct warnings remembered for "once" printing.
const MAX_WARNED = 100;

const VERSION = 1;

// channelFd returns the channel's fd when this process is the worker poold
// gave it to, else undefined. It comes after the listening sockets, never
// one of them.
function channelFd(env, pid) {
  if (env.POOLD_CHANNEL_FD === undefined || env.POOLD_CHANNEL_FD === '') return undefined;
  if (env.LISTEN_PID !== undefined && env.LISTEN_PID !== String(pid)) return undefined;
  const fd = Number(env.POOLD_CHANNEL_FD);
  return Number.isInteger(fd) && fd >= 3 + (Number(env.LISTEN_FDS) || 0) ? fd : undefined;
}

// heartbeatMs is the metrics interval: half of WATCHDOG_USEC, else 5 s.
function heartbeatMs(env) {
  const usec = Number(env.WATCHDOG_USEC);
  if (!(usec > 0)) return DEFAULT_HEARTBEAT_MS;
  return Math.max(10, Math.floor(usec / 2000));
}

function number(s) {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

// oneLine keeps a STATUS= text to one assignment.
function oneLine(text) {
  return String(text).replace(/[\r\n]+/g, ' ');
}

class Channel extends EventEmitter {
  constructor() {
    super();
    this.active = false;
    this.pool = null;
    this.slot = null;
    this.generation = null;
    this.workerId = null;
    this.config = null;
    this._socket = null;
    this._timer = null;
    this._loop = null;
    this._requests = 0;
    this._activeRequests = 0;
    this._warned = new Set();
    this._tracked = new WeakSet();
  }

  // open takes the channel at fd: hello, then heartbeats.
  _open(fd, env) {
    let socket;
    try {
      socket = new net.Socket({ fd, readable: true, writable: true });
    } catch {
      return; // not a socket poold gave: stay inactive
    }
    delete process.env.POOLD_CHANNEL_FD; // node processes this one starts must not take it
    this._socket = socket;
    this.active = true;
    this.pool = env.POOLD_POOL || null;
    this.slot = number(env.POOLD_SLOT);
    this.generation = number(env.POOLD_GENERATION);
    this.workerId = number(env.POOLD_WORKER_ID);
    socket.unref();
    socket.on('error', () => this._close());
    socket.on('close', () => this._close());
    socket.on('end', () => this._close());
    let buf = [];
    let len = 0;
    let skipping = false; // in a line over MAX_LINE, up to its newline
    socket.on('data', (chunk) => {
      for (;;) {
        const nl = chunk.indexOf(10);
        if (nl < 0) {
          if (skipping) return;
          buf.push(chunk);
          len += chunk.length;
          if (len >= MAX_LINE) { buf = []; len = 0; skipping = true; }
          return;
        }
        if (!skipping && len + nl < MAX_LINE) {
          buf.push(chunk.subarray(0, nl));
          this._receive(Buffer.concat(buf).toString('utf8'));
        }
        buf = [];
        len = 0;
        skipping = false;
        chunk = chunk.subarray(nl + 1);
        if (!this.active) return;
      }
    });
    try {
      this._loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      this._loop.enable();
    } catch {
      this._loop = null;
    }
    this._send({ op: 'hello', version: VERSION, runtime: 'node/' + process.versions.node });
    // A first heartbeat at once arms poold's worker watchdog from the start:
    // a worker that hangs before the timer's first beat is still caught.
    this.heartbeat();
    if (!this.active) return;
    this._timer = setInterval(() => this.heartbeat(), heartbeatMs(env));
    this._timer.unref();
  }

  _close() {
    if (!this.active) return;
    this.active = false;
    clearInterval(this._timer);
    this._timer = null;
    if (this._loop) this._loop.disable();
    this._socket.destroy();
  }

  _receive(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return;
    switch (msg.op) {
      case 'config':
        this.config = msg.data === undefined ? null : msg.data;
        this.emit('config', this.config);
        break;
      case 'message':
        this.emit('message', msg.data === undefined ? null : msg.data, msg.from || null);
        break;
      case 'error':
        this._warn(String(msg.error || 'dropped something this worker sent'));
        break;
      default: // unknown ops are for a later version
    }
  }

  // _send writes one line; false when it was not sent.
  _send(obj) {
    if (!this.active) return false;
    let line;
    try {
      line = JSON.stringify(obj) + '\n';
    } catch (e) {
      this._warn(`${obj.op} not sent: ${e.message}`);
      return false;
    }
    if (Buffer.byteLength(line) > MAX_LINE) {
      this._warn(`${obj.op} not sent: its line is over ${MAX_LINE} bytes`);
      return false;
    }
    if (this._socket.writableLength > MAX_QUEUED) {
      this._warn(`${obj.op} not sent: poold does not read this worker's channel`);
      return false;
    }
    try {
      this._socket.write(line);
    } catch {
      this._close();
      return false;
    }
    return true;
  }

  // _warn emits 'warning', or without a listener prints the text once.
  _warn(text) {
    if (this.listenerCount('warning') > 0) {
      this.emit('warning', text);
      return;
    }
    if (this._warned.has(text) || this._warned.size >= MAX_WARNED) return;
    this._warned.add(text);
    console.warn(`poold: ${text}`);
  }

  // notify sends sd_notify assignments, e.g. 'READY=1\nSTATUS=up'.
  notify(state) {
    return this._send({ op: 'notify', state: String(state) });
  }

  ready(statusText) {
    return this.notify(statusText === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(statusText)}`);
  }

  status(text) {
    return this.notify(`STATUS=${oneLine(text)}`);
  }

  stopping() {
    return this.notify('STOPPING=1');
  }

  // broadcast sends data (any JSON value) to every other worker of the pool.
  broadcast(data) {
    return this._send({ op: 'broadcast', data: data === undefined ? null : data });
  }

  // track counts the requests of an http or https server.
  track(server) {
    if (!server || typeof server.on !== 'function' || this._tracked.has(server)) return server;
    this._tracked.add(server);
    server.on('request', (req, res) => {
      this._requests++;
      this._activeRequests++;
      res.once('close', () => { this._activeRequests--; });
    });
    return server;
  }

  // metrics returns the figures a heartbeat would send now. The event loop
  // delays (how much later than due the histogram's 10 ms timer ran) cover
  // the time since the last heartbeat, and are left out without a sample.
  metrics() {
    const m = {};
    const h = this._loop;
    if (h && h.count > 0) {
      const ms = (ns) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
      m.loopDelayMeanMs = ms(h.mean);
      m.loopDelayP99Ms = ms(h.percentile(99));
      m.loopDelayMaxMs = ms(h.max);
    }
    const mem = process.memoryUsage();
    m.rssBytes = mem.rss;
    m.heapUsedBytes = mem.heapUsed;
    m.heapTotalBytes = mem.heapTotal;
    m.requests = this._requests;
    m.activeRequests = this._activeRequests;
    return m;
  }

  // heartbeat sends the metrics now, and starts the next delay window.
  heartbeat() {
    if (!this.active) return false;
    const sent = this._send({ op: 'metrics', ...this.metrics() });
    if (this._loop) this._loop.reset();
    return sent;
  }
}

function channel() {
  if (globalThis[kChannel]) return globalThis[kChannel];
  const c = new Channel();
  globalThis[kChannel] = c;
  let main = true;
  try { main = require('node:worker_threads').isMainThread; } catch { /* no threads */ }
  const fd = main ? channelFd(process.env, process.pid) : undefined;
  if (fd !== undefined) c._open(fd, process.env);
  return c;
}

module.exports = channel();
