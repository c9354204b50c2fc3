'use strict';
// poold's Node.js preload (docs/nodejs.md). poold runs node workers with
// NODE_OPTIONS="--require <this file>". In the process the sockets are meant
// for (LISTEN_PID is this process, LISTEN_FDS is set), it
//  - makes net.Server#listen(port | path | {port} | {path}) listen on the
//    inherited sockets, fds 3.., instead of binding: a listen asking for the
//    port (or unix path) of a socket not taken yet gets that socket, any other
//    the lowest-numbered one not taken yet; once all are taken, listen is
//    Node's own. listen(0), listen(), handles and {fd} are Node's own too;
//  - on SIGTERM drains the servers listening on those sockets (also those
//    of an app's own listen({fd: 3})): each answer from then on says
//    Connection: close, and a connection without a request in flight is
//    closed once it has been idle for IDLE_GRACE_MS. Unless the app (not
//    signal-exit) listens for SIGTERM itself, it also stops accepting, exits
//    0 once every such server has closed, and 1 just before poold's stop
//    timeout (POOLD_STOP_TIMEOUT_MS) if one has not. options.json beside
//    this file ({"drain": false}, written by poold for --node-drain off)
//    turns the drain off: SIGTERM is then Node's or the app's;
//  - loads the poold module (index.js), which opens the stream channel when
//    poold gave one, counts the requests of those servers for its metrics
//    and, when the process has no IPC channel of Node's (it was not forked),
//    gives it a process.send() and 'message' events as cluster and PM2
//    workers have them, carried by the channel.
// Anywhere else (no LISTEN_FDS, a child process, POOLD_NODE_PRELOAD=off) it
// does nothing. Plain CommonJS, no dependencies, Node 18 and later.

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');

const kLoaded = Symbol.for('poold.preload');
const kConns = Symbol('poold.conns');
const kConn = Symbol('poold.conn');

// IDLE_GRACE_MS: once stopping, a connection without a request in flight
// is closed when it has been idle this long. A client about to reuse it
// gets its answer (with Connection: close) instead of a reset.
const IDLE_GRACE_MS = 1000;
// DEFAULT_STOP_MS is the stop timeout assumed without POOLD_STOP_TIMEOUT_MS.
const DEFAULT_STOP_MS = 10000;
// BACKLOG is the backlog of the listen(2) Node makes on a pool socket,
// capped by the kernel at net.core.somaxconn: the queue poold and systemd
// give the socket (SOMAXCONN), not Node's default of 511, which would
// shrink it for every worker. Node takes it as the argument after the
// options, not as options.backlog, which it ignores with {fd}. poold puts
// the socket's own backlog back once the worker is ready anyway (a socket
// unit's smaller Backlog=, say).
const BACKLOG = 65535;

const origListen = net.Server.prototype.listen;
const netClose = net.Server.prototype.close;

let pool = null; // the inherited sockets, read at the first listen
const servers = new Set(); // servers on an inherited socket, until they close
let stopping = false;
let ownDrain = false;
let options = { drain: true }; // options.json, read at install
let channel = null; // the poold module, once installed

// active tells whether the preload acts in this process.
function active(env, pid) {
  return Boolean(env.LISTEN_FDS) && env.LISTEN_PID === String(pid) && env.POOLD_NODE_PRELOAD !== 'off';
}

function notice(msg) {
  process.stderr.write(`poold node preload (pid ${process.pid}): ${msg}\n`);
}

// once: notices every worker would print alike come from slot 0 only.
function once(msg) {
  const slot = process.env.POOLD_SLOT;
  if (slot === undefined || slot === '0') notice(msg);
}

// requested is what a listen call asks for: {port} or {path}, or null for
// what the preload leaves to Node (a handle, an fd, port 0 or none).
function requested(args) {
  let a = args[0];
  if (a !== null && typeof a === 'object') {
    if (a.fd !== undefined || a.handle || a._handle) return null;
    if (typeof a.port === 'number' || typeof a.port === 'string') a = a.port;
    else if (typeof a.path === 'string' && a.path !== '') return { path: a.path };
    else return null;
  }
  if (typeof a === 'string' && !(Number(a) >= 0)) return { path: a }; // Node's pipe name rule
  if (typeof a !== 'number' && typeof a !== 'string') return null;
  const port = Number(a);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null; // 0: any port; bad: Node's error
  return { port };
}

function describe(want) {
  return want.path !== undefined ? JSON.stringify(want.path) : String(want.port);
}

// readPool lists the inherited sockets: fd, name, and when there is more
// than one to choose from, their port or unix path from /proc.
function readPool(env) {
  const n = Number(env.LISTEN_FDS);
  const names = (env.LISTEN_FDNAMES || '').split(':');
  const socks = [];
  for (let i = 0; i < n && i < 1024; i++) {
    const fd = 3 + i;
    let link = '';
    try { link = fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { /* not open */ }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) {
      notice(`fd ${fd} (LISTEN_FDS=${env.LISTEN_FDS}) is not a socket; it is not used`);
      continue;
    }
    socks.push({ fd, name: names[i] || 'unknown', inode: m[1], taken: false });
  }
  if (socks.length > 1) addresses(socks);
  return socks;
}

// addresses fills in port or path from /proc/self/net: TCP sockets in
// tcp and tcp6 (local_address HEXIP:HEXPORT), unix ones in unix.
function addresses(socks) {
  const byInode = new Map(socks.map((s) => [s.inode, s]));
  for (const file of ['tcp', 'tcp6']) {
    for (const f of procTable(file)) {
      const s = byInode.get(f[9]);
      if (s && f[1]) s.port = parseInt(f[1].split(':')[1], 16);
    }
  }
  for (const f of procTable('unix')) {
    const s = byInode.get(f[6]);
    if (s && f[7]) s.path = f[7].startsWith('@') ? '\0' + f[7].slice(1) : f[7];
  }
}

function procTable(file) {
  try {
    return fs.readFileSync(`/proc/self/net/${file}`, 'latin1').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  } catch {
    return [];
  }
}

// take picks the socket for a request: the one with its port or path, else
// the lowest-numbered one not taken yet, else none.
function take(want) {
  pool = pool || readPool(process.env);
  const free = pool.filter((s) => !s.taken);
  const s = free.find((s) => (want.port !== undefined ? s.port === want.port : s.path === want.path)) || free[0];
  if (s) s.taken = true;
  return s;
}

// poolFd is the fd a listen({fd}) asks for when it is one of the inherited
// sockets: the app listens on it as it says, and gets the drain.
function poolFd(args) {
  const fd = args[0] !== null && typeof args[0] === 'object' ? args[0].fd : undefined;
  return Number.isInteger(fd) && fd >= 3 && fd < 3 + Number(process.env.LISTEN_FDS) ? fd : undefined;
}

function listen(...args) {
  if (this.listening) return origListen.apply(this, args); // Node's error
  const fd = poolFd(args);
  if (fd !== undefined) {
    pool = pool || readPool(process.env);
    for (const s of pool) if (s.fd === fd) s.taken = true;
    adopt(this);
    return origListen.apply(this, args);
  }
  const want = requested(args);
  if (want === null) return origListen.apply(this, args);
  const sock = take(want);
  if (!sock) {
    once(`listen(${describe(want)}): no pool socket is left (LISTEN_FDS=${process.env.LISTEN_FDS}); Node binds it itself, in this worker alone`);
    return origListen.apply(this, args);
  }
  const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
  const signal = args[0] !== null && typeof args[0] === 'object' ? args[0].signal : undefined;
  adopt(this);
  this.once('listening', () => checkAddress(this, want, sock));
  return origListen.call(this, { fd: sock.fd, signal }, BACKLOG, cb);
}

// checkAddress says so when the app asked for another port or path than
// the socket it was given.
function checkAddress(server, want, sock) {
  const a = server.address();
  const got = typeof a === 'string' ? { path: a } : a && { port: a.port };
  if (!got || (want.port !== undefined && got.port === want.port) || (want.path !== undefined && got.path === want.path)) return;
  const where = got.path !== undefined ? JSON.stringify(got.path) : `${a.address} port ${a.port}`;
  once(`listen(${describe(want)}) serves poold's socket "${sock.name}" (fd ${sock.fd}, ${where}) instead`);
}

// adopt takes a server on a pool socket: its requests are counted, and it
// is drained on SIGTERM unless the drain is off.
function adopt(server) {
  if (channel) channel.track(server);
  if (!options.drain) return;
  servers.add(server);
  const untrack = () => { servers.delete(server); if (ownDrain) exitIfDone(); };
  server.once('close', untrack); // never an 'error' listener: that would hide the app's errors
  if (server instanceof http.Server || server instanceof https.Server) watch(server);
  if (process.listeners('SIGTERM').indexOf(onTerm) < 0) process.prependListener('SIGTERM', onTerm);
}

// watch keeps an HTTP server's connections, with their requests in flight,
// so that a drain can answer with Connection: close and close idle ones.
function watch(server) {
  const conns = new Set();
  server[kConns] = conns;
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', (socket) => {
    const c = { socket, active: new Set(), idleSince: Date.now(), timer: undefined };
    socket[kConn] = c;
    conns.add(c);
    socket.once('close', () => { conns.delete(c); clearTimeout(c.timer); });
    if (stopping) closeWhenIdle(c);
  });
  // Node 19 and later call it from server.close(): once stopping, it too
  // leaves a connection the idle grace, so that a request already on its
  // way is answered rather than reset.
  const closeIdle = server.closeIdleConnections;
  if (typeof closeIdle === 'function') {
    server.closeIdleConnections = function closeIdleConnections() {
      if (!stopping) return closeIdle.call(this);
      for (const c of conns) if (c.active.size === 0) closeWhenIdle(c);
    };
  }
  server.prependListener('request', (req, res) => {
    if (stopping) lastAnswer(res);
    const c = req.socket[kConn];
    if (!c) return;
    c.active.add(res);
    clearTimeout(c.timer);
    res.once('close', () => {
      c.active.delete(res);
      if (c.active.size > 0) return;
      c.idleSince = Date.now();
      if (stopping) closeWhenIdle(c);
    });
  });
}

// lastAnswer makes Node close the connection once res is sent, unless its
// headers are out already.
function lastAnswer(res) {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

function closeWhenIdle(c) {
  clearTimeout(c.timer);
  const wait = Math.max(0, IDLE_GRACE_MS - (Date.now() - c.idleSince));
  c.timer = setTimeout(() => {
    if (c.active.size === 0 && c.socket.parser) c.socket.destroySoon(); // no parser: upgraded, the app's now
  }, wait);
  c.timer.unref();
}

// appHandlesTerm tells whether someone else listens for SIGTERM: the app
// or a library of its own shutdown. signal-exit's listeners do not count:
// they only re-raise the signal when theirs are the only ones.
function appHandlesTerm() {
  let others = process.listeners('SIGTERM').filter((l) => l !== onTerm).length;
  for (const e of [process.__signal_exit_emitter__, globalThis[Symbol.for('signal-exit emitter')]]) {
    if (e && typeof e.count === 'number') others -= e.count;
  }
  return others > 0;
}

function onTerm() {
  if (stopping) return;
  stopping = true;
  for (const server of servers) {
    for (const c of server[kConns] || []) {
      c.active.forEach(lastAnswer);
      if (c.active.size === 0) closeWhenIdle(c);
    }
  }
  if (appHandlesTerm()) return; // the app stops its servers and exits
  ownDrain = true;
  const stop = Number(process.env.POOLD_STOP_TIMEOUT_MS) || DEFAULT_STOP_MS;
  const timer = setTimeout(() => {
    notice(`${servers.size} server(s) still had connections ${stop - margin(stop)} ms after SIGTERM; exiting`);
    process.exit(1);
  }, stop - margin(stop));
  timer.unref();
  // net's close: it stops accepting and nothing else. A server not
  // listening any more (closed by the app, or its listen failed) then
  // emits 'close' once it has no connections.
  for (const server of [...servers]) netClose.call(server);
  exitIfDone();
}

// margin: the exit comes 1 s before poold's SIGKILL, or at 90% of a stop
// timeout under 10 s.
function margin(stop) {
  return Math.min(1000, stop / 10);
}

function exitIfDone() {
  if (servers.size === 0) process.exit(0);
}

// readOptions reads options.json from dir; without one, the defaults.
function readOptions(dir) {
  const file = path.join(dir, 'options.json');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { drain: true, wrapper: '' };
  }
  try {
    const o = JSON.parse(text);
    return { drain: o.drain !== false, wrapper: typeof o.wrapper === 'string' ? o.wrapper : '' };
  } catch (e) {
    notice(`${file}: ${e.message}; using the defaults`);
    return { drain: true, wrapper: '' };
  }
}

// describeMessage names a message for the notice about process.send.
function describeMessage(msg) {
  if (msg !== null && typeof msg === 'object' && typeof msg.type === 'string') return JSON.stringify({ type: msg.type });
  if (typeof msg === 'string') return JSON.stringify(msg.length > 40 ? msg.slice(0, 40) + '...' : msg);
  return msg === null ? 'null' : typeof msg;
}

// send is process.send for a worker without Node's IPC channel, as cluster
// and PM2 workers use it: 'ready' (PM2's wait_ready) says READY=1, a
// {type: 'broadcast'} message goes to the pool's other workers as it is,
// {type: 'metrics'} and {type: 'heartbeat'} send a heartbeat now. Anything
// else is ignored, with a warning once per kind.
function send(msg, ...rest) {
  const cb = typeof rest[rest.length - 1] === 'function' ? rest[rest.length - 1] : undefined;
  const type = msg !== null && typeof msg === 'object' ? msg.type : undefined;
  if (msg === 'ready' || type === 'ready') channel.ready();
  else if (type === 'broadcast') channel.broadcast(msg);
  else if (type === 'metrics' || type === 'heartbeat') channel.heartbeat();
  else channel._warn(`process.send(${describeMessage(msg)}) has no meaning under poold; ignored`);
  if (cb) process.nextTick(cb, null);
  return true;
}

// emulateIPC makes the channel look like a cluster worker's IPC channel:
// process.send, and poold's messages as process 'message' events (a
// config as {type: 'config-update', data}).
function emulateIPC() {
  if (!channel.active || typeof process.send === 'function') return;
  process.send = send;
  channel.on('message', (data) => {
    if (data !== null) process.emit('message', data);
  });
  channel.on('config', (data) => {
    if (data !== null) process.emit('message', { type: 'config-update', data });
  });
}

// refuse is listen() where poold's worker command is a package manager
// (options.wrapper): in it, and in the node it starts, which has neither
// the pool's fds 3.. nor a LISTEN_PID of its own. A listen the preload
// would have served fails with what to do: as an 'error' event when the
// app listens for one, else by ending the process with the message as its
// last words on stderr, where poold's status shows a failing worker's last
// lines (an uncaught 'error' would end them with a stack trace). Other
// listens are Node's own.
function refuse(...args) {
  const fd = poolFd(args);
  const want = requested(args);
  if (this.listening || (fd === undefined && want === null)) return origListen.apply(this, args);
  const what = fd !== undefined ? `{fd: ${fd}}` : describe(want);
  const msg = `listen(${what}) cannot serve poold's sockets: poold started ${options.wrapper} (pid ${process.env.LISTEN_PID}), ` +
    `whose node (pid ${process.pid}) does not get them; run node itself as poold's worker command (-- node server.js)`;
  process.nextTick(() => {
    if (this.listenerCount('error') === 0) {
      notice(msg);
      process.exit(1);
    }
    const err = new Error(msg);
    err.code = 'EPOOLDWRAPPER';
    this.emit('error', err);
  });
  return this;
}

function install() {
  if (globalThis[kLoaded] || !process.env.LISTEN_FDS || process.env.POOLD_NODE_PRELOAD === 'off') return;
  options = readOptions(__dirname);
  if (options.wrapper) {
    net.Server.prototype.listen = refuse;
    return;
  }
  if (!active(process.env, process.pid)) return;
  globalThis[kLoaded] = true;
  net.Server.prototype.listen = listen;
  try {
    channel = require('./index.js');
  } catch (e) {
    notice(`the poold module beside the preload could not be loaded (${e.message}); no stream channel`);
    return;
  }
  emulateIPC();
}

install();

module.exports = { active, requested, margin, readOptions, IDLE_GRACE_MS };
