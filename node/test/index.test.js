'use strict';
// Tests of index.js, require('poold'), with real processes: each test
// starts a node child with a socket pair at fd 3 (an extra stdio 'pipe',
// which libuv makes a unix socket pair) and POOLD_CHANNEL_FD=3, and plays
// poold on the other end. Run with `node --test test/` (Node 18 and later).

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const index = path.join(__dirname, '..', 'index.js');

// bound ends a stuck test; events normally come within milliseconds.
const bound = 10000;

function within(promise, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${bound} ms`)), bound); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// waitable is a list of items (lines of output, channel messages) that a
// test can wait for.
function waitable() {
  const w = { items: [], waiters: [] };
  w.push = (x) => {
    w.items.push(x);
    w.waiters = w.waiters.filter((f) => !f());
  };
  // take waits for the first item that match accepts, removes it and
  // returns it.
  w.take = (match, what) => within(new Promise((resolve) => {
    const check = () => {
      const i = w.items.findIndex(match);
      if (i < 0) return false;
      resolve(w.items.splice(i, 1)[0]);
      return true;
    };
    if (!check()) w.waiters.push(check);
  }), what);
  return w;
}

// worker runs script in a node child that requires index.js as poold. With
// channel (the default), fd 3 is the channel and the returned object plays
// poold: w.op(name) waits for the next line with that op, w.send(obj)
// writes one.
function worker(t, script, { env = {}, channel = true, args = [] } = {}) {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('POOLD_') || k.startsWith('LISTEN_') || k === 'WATCHDOG_USEC') delete base[k];
  if (channel) base.POOLD_CHANNEL_FD = '3';
  const child = spawn(process.execPath, [...args, '-e', `const poold = require(${JSON.stringify(index)});\n${script}`], {
    stdio: ['ignore', 'pipe', 'pipe', ...(channel ? ['pipe'] : [])],
    env: { ...base, ...env },
  });
  const w = { child, out: waitable(), err: '', got: waitable(), raw: [] };
  child.stdout.setEncoding('utf8').on('data', (d) => { for (const l of d.split('\n').filter(Boolean)) w.out.push(l); });
  child.stderr.setEncoding('utf8').on('data', (d) => { w.err += d; });
  w.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => child.kill('SIGKILL'));
  if (channel) {
    const sock = child.stdio[3];
    w.sock = sock;
    sock.on('error', () => {});
    let buf = '';
    sock.setEncoding('utf8').on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        w.raw.push(line);
        w.got.push(JSON.parse(line));
      }
    });
    w.op = (op, match = () => true) => w.got.take((m) => m.op === op && match(m), `op ${op} from the worker`);
    w.send = (obj) => sock.write(typeof obj === 'string' ? obj : JSON.stringify(obj) + '\n');
  }
  // line waits for a line of stdout starting with prefix and returns the rest.
  w.line = async (prefix) => (await w.out.take((l) => l.startsWith(prefix), `a line "${prefix}..." from the worker`)).slice(prefix.length);
  w.json = async (prefix) => JSON.parse(await w.line(prefix));
  return w;
}

// keep keeps a child alive until poold sends the message 'exit'.
const keep = `const keep = setInterval(() => {}, 1000);
  poold.on('message', (d) => { if (d === 'exit') { clearInterval(keep); poold.removeAllListeners('message'); } });`;

test('hello first, identity from the environment, POOLD_CHANNEL_FD removed', async (t) => {
  const w = worker(t, `${keep}
    console.log('state ' + JSON.stringify({ active: poold.active, pool: poold.pool, slot: poold.slot, generation: poold.generation,
      workerId: poold.workerId, config: poold.config, fd: process.env.POOLD_CHANNEL_FD === undefined ? 'removed' : 'kept' }));
    require('node:child_process').execFile(process.execPath, ['-p', 'process.env.POOLD_CHANNEL_FD'], (e, out) => console.log('child ' + out.trim()));`,
  { env: { POOLD_POOL: 'web', POOLD_SLOT: '2', POOLD_GENERATION: '3', POOLD_WORKER_ID: '17' } });
  const hello = await w.op('hello');
  assert.deepEqual(hello, { op: 'hello', version: 1, runtime: 'node/' + process.versions.node });
  assert.equal(w.raw[0], JSON.stringify(hello), 'hello is the first line');
  assert.deepEqual(await w.json('state '), { active: true, pool: 'web', slot: 2, generation: 3, workerId: 17, config: null, fd: 'removed' });
  assert.equal(await w.line('child '), 'undefined', 'a node process the worker starts does not see the channel');
  w.send({ op: 'message', data: 'exit', from: { kind: 'control' } });
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('a first heartbeat right after hello, which arms the worker watchdog from the start', async (t) => {
  const w = worker(t, keep, { env: { WATCHDOG_USEC: '60000000' } }); // the timer's first beat is 30 s away
  await w.op('hello');
  await w.op('metrics');
  assert.equal(JSON.parse(w.raw[1]).op, 'metrics', 'the heartbeat is the second line');
  w.send({ op: 'message', data: 'exit', from: { kind: 'control' } });
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('ready, status, stopping and notify send notify ops', async (t) => {
  const w = worker(t, `
    console.log('sent ' + [poold.ready(), poold.ready('warm\\ncaches'), poold.status('serving'), poold.stopping(), poold.notify('EXTEND_TIMEOUT_USEC=5000000')].join(','));`);
  await w.op('hello');
  const states = [];
  for (let i = 0; i < 5; i++) states.push((await w.op('notify')).state);
  assert.deepEqual(states, ['READY=1', 'READY=1\nSTATUS=warm caches', 'STATUS=serving', 'STOPPING=1', 'EXTEND_TIMEOUT_USEC=5000000']);
  assert.equal(await w.line('sent '), 'true,true,true,true,true');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('heartbeats: metrics every WATCHDOG_USEC/2, with the figures of the spec', async (t) => {
  const w = worker(t, `${keep}
    poold.on('message', (d) => { if (d === 'beat') console.log('beat ' + JSON.stringify([poold.heartbeat(), poold.metrics()])); });
    const server = poold.track(require('node:http').createServer((req, res) => {
      if (req.url === '/slow') { console.log('slow'); poold.on('message', (d) => { if (d === 'answer') res.end('late'); }); return; }
      res.end('ok');
    }));
    server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));`,
  { env: { WATCHDOG_USEC: '100000' } }); // a heartbeat every 50 ms
  await w.op('hello');
  // A heartbeat whose loop delay window had samples of the 10 ms timer.
  const m = await w.op('metrics', (x) => 'loopDelayMeanMs' in x);
  assert.deepEqual(Object.keys(m).sort(), ['activeRequests', 'heapTotalBytes', 'heapUsedBytes', 'loopDelayMaxMs', 'loopDelayMeanMs',
    'loopDelayP99Ms', 'op', 'requests', 'rssBytes']);
  for (const [k, v] of Object.entries(m)) {
    if (k === 'op') continue;
    assert.equal(typeof v, 'number', k);
    assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${v}`);
  }
  for (const k of ['rssBytes', 'heapUsedBytes', 'heapTotalBytes', 'requests', 'activeRequests']) assert.ok(Number.isInteger(m[k]), k);
  assert.ok(m.rssBytes > m.heapUsedBytes && m.heapTotalBytes >= m.heapUsedBytes && m.heapUsedBytes > 0);
  assert.ok(m.loopDelayMeanMs <= m.loopDelayMaxMs && m.loopDelayP99Ms <= m.loopDelayMaxMs + 0.01);
  assert.ok(m.loopDelayMaxMs < 5000, `loop delay max ${m.loopDelayMaxMs} ms: reset after each report`);

  // Requests of a tracked server: two answered, one in flight.
  const port = Number(await w.line('port '));
  for (let i = 0; i < 2; i++) assert.equal(await get(port, '/'), 'ok');
  const slow = get(port, '/slow');
  await w.line('slow');
  w.send({ op: 'message', data: 'beat', from: { kind: 'control' } });
  const [sent, returned] = await w.json('beat ');
  assert.equal(sent, true);
  const beat = await w.op('metrics', (x) => x.requests === 3);
  assert.equal(beat.activeRequests, 1);
  assert.equal(returned.requests, 3);
  assert.equal(returned.activeRequests, 1);
  w.send({ op: 'message', data: 'answer', from: { kind: 'control' } });
  assert.equal(await slow, 'late');
  await w.op('metrics', (x) => x.requests === 3 && x.activeRequests === 0);
});

function get(port, target) {
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve(body));
    }).on('error', reject);
  }), `answer to GET ${target}`);
}

test('broadcast sends any JSON value; what cannot be sent is dropped with a warning', async (t) => {
  const w = worker(t, `
    const circular = {}; circular.self = circular;
    console.log('sent ' + [poold.broadcast({ type: 'x', list: [1, 'two', null] }), poold.broadcast('text'), poold.broadcast(),
      poold.broadcast(circular), poold.broadcast('y'.repeat(70000)), poold.broadcast('y'.repeat(70000))].join(','));
    poold.broadcast('last');`);
  await w.op('hello');
  assert.deepEqual((await w.op('broadcast')).data, { type: 'x', list: [1, 'two', null] });
  assert.equal((await w.op('broadcast')).data, 'text');
  assert.equal((await w.op('broadcast')).data, null);
  assert.equal((await w.op('broadcast')).data, 'last');
  assert.equal(await w.line('sent '), 'true,true,true,false,false,false');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
  assert.match(w.err, /^poold: broadcast not sent: .*circular/m);
  assert.equal(w.err.match(/^poold: broadcast not sent: its line is over 65536 bytes$/gm).length, 1, `warned once:\n${w.err}`);
});

test('config and message events; poold\'s errors are warnings', async (t) => {
  const w = worker(t, `${keep}
    poold.on('config', (d) => console.log('config ' + JSON.stringify([d, poold.config])));
    poold.on('message', (d, from) => console.log('message ' + JSON.stringify([d, from])));
    poold.on('message', (d) => { if (d === 'listen') poold.on('warning', (text) => console.log('warning ' + text)); });`);
  await w.op('hello');
  w.send({ op: 'config', data: null });
  assert.deepEqual(await w.json('config '), [null, null]);
  w.send({ op: 'config', data: { feature: true } });
  assert.deepEqual(await w.json('config '), [{ feature: true }, { feature: true }]);
  const from = { kind: 'worker', slot: 1, pid: 4242 };
  w.send({ op: 'message', data: { type: 'broadcast', n: 1 }, from });
  assert.deepEqual(await w.json('message '), [{ type: 'broadcast', n: 1 }, from]);
  // No 'warning' listener: printed once per text.
  w.send({ op: 'error', error: 'broadcast dropped: more than 100 a second' });
  w.send({ op: 'error', error: 'broadcast dropped: more than 100 a second' });
  w.send({ op: 'message', data: 'listen', from: { kind: 'control' } });
  await w.line('message ');
  w.send({ op: 'error', error: 'another' });
  assert.equal(await w.line('warning '), 'another');
  assert.equal(w.err, 'poold: broadcast dropped: more than 100 a second\n');
  w.send({ op: 'message', data: 'exit', from: { kind: 'control' } });
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('lines over 65536 bytes, not JSON objects or of unknown ops are dropped', async (t) => {
  const w = worker(t, `${keep}
    poold.on('message', (d) => console.log('message ' + (typeof d === 'string' ? d.length : JSON.stringify(d))));
    poold.on('config', (d) => console.log('config ' + JSON.stringify(d)));`);
  await w.op('hello');
  const empty = JSON.stringify({ op: 'message', from: { kind: 'control' }, data: '' }).length + 1;
  // line is a message line of n bytes, its newline included.
  const line = (n) => JSON.stringify({ op: 'message', from: { kind: 'control' }, data: 'x'.repeat(n - empty) }) + '\n';
  w.send(line(65536));
  w.send(line(65537));
  w.send(line(200000).replace('"x', '"\u00e9'));
  w.send('not json\n[1,2]\n"op"\n{"op":"later","data":1}\n{"data":2}\n');
  // Bytes count, not characters: 2 x replaced by an é (2 bytes in UTF-8).
  const big = line(65536);
  w.send(big.slice(0, 30000) + '\u00e9' + big.slice(30002));
  const tooBig = line(65537);
  w.send(tooBig.slice(0, 30000) + '\u00e9' + tooBig.slice(30002));
  w.send({ op: 'config', data: 'after' });
  assert.equal(await w.line('message '), String(65536 - empty));
  assert.equal(await w.line('message '), String(65536 - empty - 1));
  assert.equal(await w.line('config '), '"after"');
  assert.deepEqual(w.out.items, [], 'nothing else was delivered');
  w.send({ op: 'message', data: 'exit', from: { kind: 'control' } });
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
  assert.equal(w.err, '');
});

test('a channel that poold closes makes the module inactive; the app goes on', async (t) => {
  const w = worker(t, `
    poold.ready();
    const server = require('node:net').createServer().listen(0);
    let n = 0;
    const iv = setInterval(() => {
      n++;
      const sent = [poold.ready(), poold.broadcast({ n }), poold.heartbeat(), poold.status('x')];
      if (poold.active) return;
      clearInterval(iv);
      console.log('inactive ' + JSON.stringify(sent));
      server.close();
    }, 5);`);
  await w.op('hello');
  await w.op('notify');
  w.sock.destroy();
  assert.equal(await w.line('inactive '), '[false,false,false,false]');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
  assert.equal(w.err, '');
});

test('a channel that poold stops reading does not grow without bound', async (t) => {
  const w = worker(t, `
    poold.ready();
    let sent = 0;
    const data = 'z'.repeat(60000);
    for (let i = 0; i < 200; i++) if (poold.broadcast(data)) sent++;
    console.log('sent ' + sent + ' ' + poold.active);`);
  await w.op('hello');
  w.sock.pause();
  const [sent, active] = (await w.line('sent ')).split(' ');
  assert.ok(Number(sent) < 200, `sent ${sent}`);
  assert.equal(active, 'true');
  assert.match(w.err, /^poold: broadcast not sent: poold does not read this worker's channel$/m);
  w.sock.resume();
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('without a channel everything is a no-op', async (t) => {
  for (const [what, opts] of [
    ['no POOLD_CHANNEL_FD', { channel: false }],
    ['LISTEN_PID of another process', { env: { LISTEN_PID: '1' } }],
    ['an fd that is not open', { channel: false, env: { POOLD_CHANNEL_FD: '97' } }],
    ['a bad POOLD_CHANNEL_FD', { channel: false, env: { POOLD_CHANNEL_FD: 'x' } }],
    ['POOLD_CHANNEL_FD one of the listening sockets', { env: { LISTEN_FDS: '1' } }],
  ]) {
    const w = worker(t, `
      poold.on('message', () => console.log('message'));
      const m = poold.metrics();
      console.log('state ' + JSON.stringify({ active: poold.active, pool: poold.pool, slot: poold.slot, config: poold.config,
        sent: [poold.ready(), poold.status('x'), poold.stopping(), poold.notify('READY=1'), poold.broadcast({}), poold.heartbeat()],
        metrics: Object.keys(m).sort(), tracked: poold.track(require('node:http').createServer()) !== undefined }));`,
    { ...opts, env: { POOLD_SLOT: '1', ...opts.env } });
    assert.deepEqual(await w.json('state '), {
      active: false, pool: null, slot: null, config: null, sent: [false, false, false, false, false, false],
      metrics: ['activeRequests', 'heapTotalBytes', 'heapUsedBytes', 'requests', 'rssBytes'], tracked: true,
    }, what);
    assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null }, what);
    assert.equal(w.err, '', what);
    if (w.sock) assert.equal(w.raw.length, 0, `${what}: nothing written`);
  }
});

test('the channel does not keep the process alive', async (t) => {
  const w = worker(t, `poold.ready(); console.log('done');`);
  await w.op('hello');
  await w.line('done');
  // The fake poold keeps its end open and sends on it: the worker exits anyway.
  w.send({ op: 'config', data: 1 });
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
});

test('two copies of the module share one channel', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poold-copy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const copy = path.join(dir, 'index.js');
  fs.copyFileSync(index, copy);
  const w = worker(t, `
    const other = require(${JSON.stringify(copy)});
    console.log('same ' + (other === poold));
    other.ready();`);
  await w.op('hello');
  assert.equal(await w.line('same '), 'true');
  assert.equal((await w.op('notify')).state, 'READY=1');
  assert.deepEqual(await within(w.exited, 'exit'), { code: 0, signal: null });
  assert.equal(w.raw.filter((l) => l.includes('"hello"')).length, 1, 'one hello');
});
