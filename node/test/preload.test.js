'use strict';
// Tests of preload.js with real processes and sockets: each test binds
// listening sockets here and starts a node child with them as fds 3.., as
// poold does, with LISTEN_PID set to the child's own PID by a shell that
// execs node. Run with `node --test test/` (Node 18 and later).

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const preload = path.join(__dirname, '..', 'preload.js');
const { active, requested, margin, readOptions } = require(preload);

// bound ends a stuck test; events normally come within milliseconds.
const bound = 10000;

test('active only for the process the sockets are meant for', () => {
  const on = { LISTEN_FDS: '1', LISTEN_PID: '42' };
  assert.equal(active(on, 42), true);
  assert.equal(active({ ...on, LISTEN_PID: '41' }, 42), false, 'a child of the worker');
  assert.equal(active({ LISTEN_PID: '42' }, 42), false, 'no LISTEN_FDS');
  assert.equal(active({ LISTEN_FDS: '1' }, 42), false, 'no LISTEN_PID');
  assert.equal(active({ ...on, POOLD_NODE_PRELOAD: 'off' }, 42), false);
});

test('requested', () => {
  const cb = () => {};
  for (const [give, want] of [
    [[3000], { port: 3000 }],
    [['3000', cb], { port: 3000 }],
    [[3000, '127.0.0.1', 511, cb], { port: 3000 }],
    [[{ port: 8080, host: '::' }], { port: 8080 }],
    [[{ port: '8080' }], { port: 8080 }],
    [['/run/app.sock'], { path: '/run/app.sock' }],
    [[{ path: '\0abstract' }], { path: '\0abstract' }],
    [[], null],
    [[cb], null],
    [[0], null],
    [[{ port: 0 }], null],
    [[{ host: 'localhost' }], null],
    [[{ fd: 3 }], null],
    [[{ handle: {} }], null],
    [[{ _handle: {} }], null],
    [[70000], null],
    [[null], null],
  ]) {
    assert.deepEqual(requested(give), want, `requested(${JSON.stringify(give)})`);
  }
});

test('margin', () => {
  assert.equal(margin(30000), 1000);
  assert.equal(margin(5000), 500);
});

// installed copies the package's files into a new directory, as poold's
// nodejs.Install does, with options.json holding options (none: no file),
// and returns the preload's path there.
function installed(t, options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poold-preload-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['package.json', 'index.js', 'preload.js']) fs.copyFileSync(path.join(__dirname, '..', f), path.join(dir, f));
  if (options !== undefined) fs.writeFileSync(path.join(dir, 'options.json'), typeof options === 'string' ? options : JSON.stringify(options));
  return path.join(dir, 'preload.js');
}

test('readOptions', (t) => {
  const dir = (options) => path.dirname(installed(t, options));
  assert.deepEqual(readOptions(dir()), { drain: true, wrapper: '' }, 'no options.json');
  assert.deepEqual(readOptions(dir({ drain: false })), { drain: false, wrapper: '' });
  assert.deepEqual(readOptions(dir({ drain: true, later: 1 })), { drain: true, wrapper: '' });
  assert.deepEqual(readOptions(dir({})), { drain: true, wrapper: '' });
  assert.deepEqual(readOptions(dir({ wrapper: 'npm' })), { drain: true, wrapper: 'npm' });
});

// listening binds a listening TCP socket on a free port of 127.0.0.1.
async function listening() {
  const s = net.createServer();
  await new Promise((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve));
  return s;
}

// worker runs script in a node child with the preload, the servers'
// sockets as fds 3.. and LISTEN_* set as poold sets them. The sockets are
// closed here once the child has them: only the child accepts.
// With channel, the fd after the sockets is a stream channel, as poold
// gives it, and w.op and w.send play poold on its other end (see fakePoold).
// With ipc, the child also has Node's IPC channel (w.child.send, 'message').
function worker(t, script, { servers = [], env = {}, listenPid = true, channel = false, ipc = false, preload: file = preload } = {}) {
  const base = { ...process.env, LISTEN_FDS: String(servers.length), LISTEN_FDNAMES: servers.map((_, i) => `s${i}`).join(':') };
  for (const k of Object.keys(base)) if (k.startsWith('POOLD_')) delete base[k];
  if (channel) base.POOLD_CHANNEL_FD = String(3 + servers.length);
  const pid = listenPid ? 'export LISTEN_PID=$$; ' : 'export LISTEN_PID=1; ';
  const child = spawn('sh', ['-c', pid + 'exec "$0" "$@"', process.execPath, '--require', file, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe', ...servers.map((s) => s._handle), ...(channel ? ['pipe'] : []), ...(ipc ? ['ipc'] : [])],
    env: { ...base, ...env },
  });
  for (const s of servers) s.close();
  const w = { child, out: '', err: '', lines: [], waiters: [] };
  if (channel) fakePoold(w, child.stdio[3 + servers.length]);
  child.stdout.setEncoding('utf8').on('data', (d) => {
    w.out += d;
    w.lines.push(...d.split('\n').filter(Boolean));
    w.waiters = w.waiters.filter((f) => !f());
  });
  child.stderr.setEncoding('utf8').on('data', (d) => { w.err += d; });
  w.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => child.kill('SIGKILL'));
  return w;
}

// fakePoold plays poold on sock, the other end of w's channel: w.op(name)
// waits for the next line with that op and returns it, w.send(obj) writes
// one, w.got holds what came and was not taken yet.
function fakePoold(w, sock) {
  w.got = [];
  let buf = '';
  sock.on('error', () => {});
  sock.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      w.got.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
    w.waiters = w.waiters.filter((f) => !f());
  });
  w.op = (op) => within(new Promise((resolve) => {
    const check = () => {
      const i = w.got.findIndex((m) => m.op === op);
      if (i >= 0) resolve(w.got.splice(i, 1)[0]);
      return i >= 0;
    };
    if (!check()) w.waiters.push(check);
  }), `op ${op} from the worker`);
  w.send = (obj) => sock.write(JSON.stringify(obj) + '\n');
}

// line waits for a line of the child's stdout that starts with prefix and
// returns the rest of it.
function line(w, prefix) {
  return within(new Promise((resolve) => {
    const check = () => {
      const l = w.lines.find((x) => x.startsWith(prefix));
      if (l !== undefined) resolve(l.slice(prefix.length));
      return l !== undefined;
    };
    if (!check()) w.waiters.push(check);
  }), `a line "${prefix}..." from the worker`);
}

function within(promise, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${bound} ms`)), bound); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// conn is one client connection speaking HTTP/1.1 by hand, so that a test
// knows which connection each request goes on and when the server closes it.
function conn(port) {
  const c = { socket: net.connect(port, '127.0.0.1'), buf: '', pending: [] };
  c.ended = new Promise((resolve) => c.socket.on('close', () => {
    for (const p of c.pending.splice(0)) p.reject(new Error('connection closed before the answer'));
    resolve();
  }));
  c.socket.setEncoding('utf8').on('data', (d) => { c.buf += d; parse(c); });
  c.socket.on('error', () => {});
  return c;
}

function parse(c) {
  for (;;) {
    const head = c.buf.indexOf('\r\n\r\n');
    if (head < 0 || c.pending.length === 0) return;
    const lines = c.buf.slice(0, head).split('\r\n');
    const headers = Object.fromEntries(lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
    }));
    const len = Number(headers['content-length'] || 0);
    if (c.buf.length < head + 4 + len) return;
    const body = c.buf.slice(head + 4, head + 4 + len);
    c.buf = c.buf.slice(head + 4 + len);
    c.pending.shift().resolve({ status: Number(lines[0].split(' ')[1]), headers, body });
  }
}

function request(c, target = '/') {
  const p = new Promise((resolve, reject) => c.pending.push({ resolve, reject }));
  c.socket.write(`GET ${target} HTTP/1.1\r\nHost: test\r\n\r\n`);
  return within(p, `answer to GET ${target}`);
}

// An app as the guide writes it: listen on a port, a JSON answer, and
// /slow?ms=N that says "slow" on stdout and answers N ms later.
const app = (listen) => `
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms'));
    if (ms) console.log('slow');
    setTimeout(() => res.end(JSON.stringify({ pid: process.pid })), ms || 0);
  });
  ${listen}
`;

test('without LISTEN_FDS listen binds as usual', async (t) => {
  const probe = await listening();
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const w = worker(t, app(`server.listen(${port}, () => console.log('port ' + server.address().port));`), { env: { LISTEN_FDS: '' } });
  assert.equal(await line(w, 'port '), String(port));
});

test('a child of the worker (LISTEN_PID another process) binds as usual', async (t) => {
  const s = await listening();
  const w = worker(t, app(`server.on('error', (e) => console.log('error ' + e.code));
    server.listen(${s.address().port}, '127.0.0.1', () => console.log('bound'));`), { servers: [s], listenPid: false });
  assert.equal(await line(w, 'error '), 'EADDRINUSE');
});

// Behind a package manager (options.json's wrapper, written by poold for
// `-- npm start`), the node it starts has neither the sockets nor its own
// LISTEN_PID: a listen the preload would serve fails with what to do,
// instead of Node's bare EINVAL (listen({fd: 3}) on what fd 3 is there)
// or a port of its own outside the pool.
test('behind a package manager, listen fails saying to run node itself', async (t) => {
  const file = installed(t, { drain: true, wrapper: 'npm' });
  for (const listen of ['{ fd: 3 }', '3000', '"/run/app.sock"']) {
    const w = worker(t, app(`server.on('error', (e) => console.log('error ' + e.code + ': ' + e.message));
      server.listen(${listen}, () => console.log('bound'));`), { listenPid: false, env: { LISTEN_FDS: '1' }, preload: file });
    const got = await line(w, 'error ');
    assert.match(got, /^EPOOLDWRAPPER: listen\(.+\) cannot serve poold's sockets: poold started npm \(pid 1\), whose node \(pid \d+\) does not get them; run node itself as poold's worker command \(-- node server\.js\)$/, listen);
  }
  // Without an 'error' listener, the process ends with the message as its
  // last words.
  const w = worker(t, app('server.listen(3000);'), { listenPid: false, env: { LISTEN_FDS: '1' }, preload: file });
  const { code } = await within(w.exited, 'exit');
  assert.equal(code, 1);
  assert.match(w.err, /^poold node preload \(pid \d+\): listen\(3000\) cannot serve poold's sockets: .*\(-- node server\.js\)\n$/);
  // listen(0) and other listens the preload leaves alone are Node's own.
  const own = worker(t, app(`server.listen(0, '127.0.0.1', () => console.log('bound'));`), { listenPid: false, env: { LISTEN_FDS: '1' }, preload: file });
  await line(own, 'bound');
});

test('POOLD_NODE_PRELOAD=off leaves listen alone', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.on('error', (e) => console.log('error ' + e.code));
    server.listen(${port}, '127.0.0.1', () => console.log('bound'));`), { servers: [s], env: { POOLD_NODE_PRELOAD: 'off' } });
  // The worker binds the port itself, beside the socket it inherited.
  assert.equal(await line(w, 'error '), 'EADDRINUSE');
});

test('listen(port) serves the inherited socket, with a notice when the port differs', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen(3000, () => console.log('listening ' + server.address().port));`), { servers: [s] });
  assert.equal(await line(w, 'listening '), String(port));
  const c = conn(port);
  const r = await request(c);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).pid, w.child.pid);
  c.socket.destroy();
  assert.match(w.err, new RegExp(`listen\\(3000\\) serves poold's socket "s0" \\(fd 3, 127\\.0\\.0\\.1 port ${port}\\) instead`));
});

test('a second server gets fd 4; a listen naming a socket\'s port gets that one', async (t) => {
  const a = await listening();
  const b = await listening();
  const [pa, pb] = [a.address().port, b.address().port];
  const w = worker(t, `
    const net = require('node:net');
    const one = net.createServer().listen(1, () => console.log('one ' + one.address().port));
    const two = net.createServer().listen({ port: 2 }, () => console.log('two ' + two.address().port));
    const three = net.createServer().listen(0, () => console.log('three ' + three.address().port));
  `, { servers: [a, b] });
  assert.equal(await line(w, 'one '), String(pa), 'the first listen: fd 3');
  assert.equal(await line(w, 'two '), String(pb), 'the second listen: fd 4');
  const three = await line(w, 'three ');
  assert.ok(three !== String(pa) && three !== String(pb), 'listen(0) is left alone');

  const c = await listening();
  const d = await listening();
  const [pc, pd] = [c.address().port, d.address().port];
  const w2 = worker(t, `
    const net = require('node:net');
    const first = net.createServer().listen(${pd}, () => console.log('first ' + first.address().port));
    const other = net.createServer().listen(9, () => console.log('other ' + other.address().port));
    const more = net.createServer().listen(${pc}, () => console.log('more ' + more.address().port));
    more.on('error', (e) => console.log('more error ' + e.code));
  `, { servers: [c, d] });
  assert.equal(await line(w2, 'first '), String(pd), 'by port: fd 4');
  assert.equal(await line(w2, 'other '), String(pc), 'then the lowest free: fd 3');
  // Every socket is taken: Node binds it, and the port is the pool's.
  assert.equal(await line(w2, 'more error '), 'EADDRINUSE');
  assert.match(w2.err, /listen\(\d+\): no pool socket is left \(LISTEN_FDS=2\); Node binds it itself, in this worker alone/);
});

test('listen({fd}) is left alone, and drained', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen({ fd: 3 }, () => console.log('listening ' + server.address().port));`), { servers: [s] });
  assert.equal(await line(w, 'listening '), String(port));
  const c = conn(port);
  assert.equal((await request(c)).headers.connection, 'keep-alive');
  w.child.kill('SIGTERM');
  await within(c.ended, 'close of the idle connection');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('SIGTERM: Connection: close on answers in flight, idle connections closed, exit 0', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen(${port}, () => console.log('listening'));`), { servers: [s] });
  await line(w, 'listening');
  const idle = conn(port);
  assert.equal((await request(idle)).headers.connection, 'keep-alive');
  const busy = conn(port);
  assert.equal((await request(busy)).headers.connection, 'keep-alive');
  const answer = request(busy, '/slow?ms=500');
  await line(w, 'slow');
  w.child.kill('SIGTERM');
  const r = await answer;
  assert.equal(r.status, 200);
  assert.equal(r.headers.connection, 'close');
  await within(busy.ended, 'close of the busy connection');
  await within(idle.ended, 'close of the idle connection');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
  assert.doesNotMatch(w.err, /poold node preload/);
});

test('SIGTERM: a connection accepted but not read from yet is answered, not dropped', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen(${port}, () => console.log('listening'));
    server.on('connection', () => console.log('accepted'));`), { servers: [s] });
  await line(w, 'listening');
  const fresh = conn(port);
  await line(w, 'accepted');
  const busy = conn(port);
  const answer = request(busy, '/slow?ms=300');
  await line(w, 'slow');
  w.child.kill('SIGTERM');
  await answer;
  const r = await request(fresh); // within the idle grace
  assert.equal(r.status, 200);
  assert.equal(r.headers.connection, 'close');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('SIGTERM handled by the app: the keep-alive part only, the app exits', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen(${port}, () => console.log('listening'));
    process.on('SIGTERM', () => { console.log('term'); server.close(() => process.exit(7)); });`), { servers: [s] });
  await line(w, 'listening');
  const idle = conn(port);
  await request(idle);
  const reused = conn(port);
  await request(reused);
  const busy = conn(port);
  const answer = request(busy, '/slow?ms=500');
  await line(w, 'slow');
  w.child.kill('SIGTERM');
  await line(w, 'term');
  // The app's server.close() (Node 19 and later: closeIdleConnections)
  // leaves the idle grace to a connection whose client sends again.
  assert.equal((await request(reused)).headers.connection, 'close');
  assert.equal((await answer).headers.connection, 'close');
  await within(idle.ended, 'close of the idle connection');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 7, signal: null });
});

test('SIGTERM: a request still running at the stop deadline ends in exit 1', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen(${port}, () => console.log('listening'));`), { servers: [s], env: { POOLD_STOP_TIMEOUT_MS: '1000' } });
  await line(w, 'listening');
  const busy = conn(port);
  request(busy, '/slow?ms=60000').catch(() => {});
  await line(w, 'slow');
  const began = Date.now();
  w.child.kill('SIGTERM');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 1, signal: null });
  const took = Date.now() - began;
  assert.ok(took >= 850 && took < 5000, `exited ${took} ms after SIGTERM, want about 900`);
  assert.match(w.err, /still had connections 900 ms after SIGTERM; exiting/);
});

test('a worker that never listens keeps Node\'s SIGTERM', async (t) => {
  const s = await listening();
  const w = worker(t, `console.log('up'); setInterval(() => {}, 1000);`, { servers: [s] });
  await line(w, 'up');
  w.child.kill('SIGTERM');
  assert.deepEqual(await within(w.exited, 'exit'), { code: null, signal: 'SIGTERM' });
});

test('signal-exit\'s SIGTERM listener is not the app\'s: the preload drains and exits 0', async (t) => {
  const s = await listening();
  const port = s.address().port;
  // What signal-exit (v3) leaves: its emitter, counting its listeners, and a
  // listener that re-raises the signal only when it is alone.
  const w = worker(t, app(`server.listen(${port}, () => console.log('listening'));
    process.__signal_exit_emitter__ = { count: 1 };
    process.on('SIGTERM', () => {});`), { servers: [s] });
  await line(w, 'listening');
  w.child.kill('SIGTERM');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('with poold\'s channel: process.send and process \'message\' as in a cluster worker', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, `
    const http = require('node:http');
    const server = http.createServer((req, res) => res.end('ok'));
    server.listen(3000, () => {
      console.log('listening ' + typeof process.send);
      process.send('ready');
    });
    process.on('message', (msg) => {
      console.log('message ' + JSON.stringify(msg));
      if (msg.type === 'broadcast') {
        const r = process.send({ type: 'broadcast', fromPid: process.pid, data: 'pong' }, () => console.log('callback'));
        console.log('returned ' + r);
      }
      if (msg.type === 'config-update') {
        process.send({ type: 'process:msg', data: 1 });
        process.send({ type: 'process:msg', data: 2 }, undefined, {}, () => console.log('callback 2'));
        process.send({ type: 'metrics' });
      }
    });`, { servers: [s], channel: true });
  await w.op('hello');
  assert.equal((await w.op('metrics')).requests, 0, 'the first heartbeat, at start');
  assert.equal(await line(w, 'listening '), 'function');
  assert.equal((await w.op('notify')).state, 'READY=1');

  // The guide's broadcast: receivers get the object the sender sent.
  w.send({ op: 'config', data: null }); // no data: no config-update
  w.send({ op: 'message', data: null, from: { kind: 'control' } }); // nor a message
  const ping = { type: 'broadcast', fromPid: 42, data: 'ping' };
  w.send({ op: 'message', data: ping, from: { kind: 'worker', slot: 1, pid: 42 } });
  assert.deepEqual(JSON.parse(await line(w, 'message ')), ping);
  assert.deepEqual((await w.op('broadcast')).data, { type: 'broadcast', fromPid: w.child.pid, data: 'pong' });
  assert.equal(await line(w, 'returned '), 'true');
  await line(w, 'callback');

  // Requests of the redirected server are counted.
  const c = conn(port);
  for (let i = 0; i < 2; i++) assert.equal((await request(c)).body, 'ok');
  c.socket.destroy();
  w.send({ op: 'config', data: { level: 2 } });
  assert.deepEqual(JSON.parse('{"type":"config' + await line(w, 'message {"type":"config')), { type: 'config-update', data: { level: 2 } });
  await line(w, 'callback 2');
  const m = await w.op('metrics');
  assert.equal(m.requests, 2);
  assert.equal(m.activeRequests, 0);
  assert.equal(w.lines.filter((l) => l.startsWith('message ')).length, 2, 'a message and a config-update');
  assert.equal(w.err.match(/^poold: process\.send\(\{"type":"process:msg"\}\) has no meaning under poold; ignored$/gm).length, 1, w.err);
});

test('without poold\'s channel the preload gives no process.send', async (t) => {
  const s = await listening();
  const w = worker(t, `console.log('send ' + typeof process.send);`, { servers: [s] });
  assert.equal(await line(w, 'send '), 'undefined');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('a worker with Node\'s IPC channel keeps its process.send', async (t) => {
  const s = await listening();
  const w = worker(t, `
    const poold = globalThis[Symbol.for('poold.channel')];
    process.send('ready');
    poold.status('after');
    poold.on('message', (d) => console.log('channel ' + d));
    process.on('message', (d) => { console.log('message ' + d); process.disconnect(); });`, { servers: [s], channel: true, ipc: true });
  const ipc = new Promise((resolve) => w.child.once('message', resolve));
  await w.op('hello');
  assert.equal(await within(ipc, 'IPC message'), 'ready');
  assert.equal((await w.op('notify')).state, 'STATUS=after', 'process.send(\'ready\') went to the parent, not to poold');
  w.send({ op: 'message', data: 'x', from: { kind: 'control' } });
  await line(w, 'channel x');
  w.child.send('y');
  await line(w, 'message y');
  assert.deepEqual(w.lines.filter((l) => l.startsWith('message ')), ['message y']);
});

test('drain off (options.json): listen still serves the pool\'s socket, SIGTERM is Node\'s', async (t) => {
  const s = await listening();
  const port = s.address().port;
  const w = worker(t, app(`server.listen(3000, () => console.log('listening ' + server.address().port));`),
    { servers: [s], preload: installed(t, { drain: false }) });
  assert.equal(await line(w, 'listening '), String(port));
  const c = conn(port);
  assert.equal((await request(c)).status, 200);
  w.child.kill('SIGTERM');
  assert.deepEqual(await within(w.exited, 'exit'), { code: null, signal: 'SIGTERM' });
});
