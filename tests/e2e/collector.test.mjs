// The reference collector (www/collector.mjs) over real HTTP on 127.0.0.1:
// ids and seqs validated, traversal impossible, oversized bodies and gzip
// bombs refused, each seq stored once however often and however
// concurrently it arrives, API keys, CORS, the read API and its read keys,
// malformed paths, the chunk scanner against JSON.parse, and the HOST
// setting of `npm start` (which refuses to listen beyond loopback without
// read keys).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { ChunkSyntaxError, scanChunk } from '../../www/chunk-scan.mjs';
import { createCollector, encodeSegment } from '../../www/collector.mjs';
import { isLoopbackHost, listenRefusal, readSettings } from '../../www/server.mjs';
import { repoRoot, listen } from '../support/static-server.mjs';

let server;
let origin;
let dataDir;

async function startCollector(options = {}) {
  const collector = createCollector({ dataDir, ...options });
  return listen(
    http.createServer(async (request, response) => {
      if (!(await collector.handle(request, response))) response.writeHead(404).end();
    }),
  );
}

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rewind-collector-'));
  server = await startCollector({ limits: { maxBodyBytes: 256 * 1024, maxInflatedBytes: 2 * 1024 * 1024 } });
  ({ origin } = server);
});
after(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function chunk(deviceId, sessionId, seq, events = [{ type: 5, data: { tag: 'log', payload: { message: `chunk ${seq}` } }, timestamp: 1000 + seq }]) {
  return {
    replayId: `${deviceId}/${sessionId}`,
    deviceId,
    sessionId,
    seq,
    startTimestamp: Math.min(...events.map((e) => e.timestamp)),
    endTimestamp: Math.max(...events.map((e) => e.timestamp)),
    events,
    sdk: { name: 'rewind', version: 'test' },
  };
}

async function post(body, headers = {}, to = origin) {
  const bytes = Buffer.isBuffer(body) ? body : zlib.gzipSync(JSON.stringify(body));
  const response = await fetch(`${to}/ingest`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ...headers },
    body: bytes,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

test('a chunk is stored once under <deviceId>/<sessionId>/<seq>.json.gz, byte for byte', async () => {
  const body = zlib.gzipSync(JSON.stringify(chunk('dev-1', '1700000000000', 0)));
  assert.deepEqual(await post(body), { status: 201, body: { ok: true, outcome: 'stored' } });
  assert.deepEqual(await post(body), { status: 200, body: { ok: true, outcome: 'duplicate' } });
  const stored = await readFile(path.join(dataDir, 'dev-1', '1700000000000', '0.json.gz'));
  assert.deepEqual(stored, body);
});

test('ids that could leave the data folder are refused or stay inside it', async () => {
  for (const deviceId of ['..', '../etc', 'a/b', '', 'x'.repeat(129), 'é', '%2e%2e']) {
    const { status, body } = await post({ ...chunk('placeholder', '1', 0), deviceId, replayId: `${deviceId}/1` });
    if (deviceId === '..') {
      // '..' is made of allowed characters: it is accepted, and encoded.
      assert.equal(status, 201, deviceId);
    } else {
      assert.equal(status, 400, deviceId);
      assert.match(body.error, /deviceId must be 1 to 128 of a-z A-Z 0-9/);
    }
  }
  assert.equal(encodeSegment('..'), '%2E%2E');
  const top = await readdir(dataDir);
  assert.ok(top.includes('%2E%2E'), `'..' is a folder of its own: ${top}`);
  assert.ok(!top.includes('etc'));
  const parent = await readdir(path.dirname(dataDir));
  assert.ok(!parent.includes('1'), 'nothing was written beside the data folder');
});

test('bad seqs, replay ids, bodies and JSON are refused with the reason', async () => {
  const cases = [
    [{ ...chunk('d', 's', 0), seq: -1 }, /seq must be a whole number/],
    [{ ...chunk('d', 's', 0), seq: 1.5 }, /seq must be a whole number/],
    [{ ...chunk('d', 's', 0), seq: '3' }, /seq must be a whole number/],
    [{ ...chunk('d', 's', 0), replayId: 'd/other' }, /replayId must be/],
    [{ ...chunk('d', 's', 0), events: 'x' }, /events must be an array/],
    [{ ...chunk('d', 's', 0), startTimestamp: 'soon' }, /startTimestamp must be a number/],
    [[1, 2], /must be a JSON object/],
  ];
  for (const [body, reason] of cases) {
    const response = await post(body);
    assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(response.body.error, reason);
  }
  const notGzip = await post(Buffer.from('{"plain":"json"}'));
  assert.equal(notGzip.status, 400);
  assert.match(notGzip.body.error, /must be gzip/);
  const notJson = await post(zlib.gzipSync('not json'));
  assert.equal(notJson.status, 400);
});

test('an oversized body and a gzip bomb are refused with 413', async () => {
  const random = Buffer.alloc(300 * 1024);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  const oversized = await post(random);
  assert.equal(oversized.status, 413);
  // 10 MiB of zeros gzip to about 10 KiB: small on the wire, huge inflated.
  const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"events":['), Buffer.alloc(10 * 1024 * 1024, 0x20), Buffer.from(']}')]));
  assert.ok(bomb.length < 64 * 1024);
  const inflated = await post(bomb);
  assert.equal(inflated.status, 413);
  assert.match(inflated.body.error, /inflates past/);
});

test('many replays uploading at once, with repeats, store every seq exactly once', async () => {
  const replays = 40;
  const seqs = 8;
  const uploads = [];
  for (let r = 0; r < replays; r++) {
    for (let seq = 0; seq < seqs; seq++) {
      const body = zlib.gzipSync(JSON.stringify(chunk(`load-${r}`, '42', seq)));
      uploads.push(post(body), post(body)); // each chunk twice, concurrently
    }
  }
  const results = await Promise.all(uploads);
  assert.ok(results.every((r) => r.status === 201 || r.status === 200), JSON.stringify(results.find((r) => r.status >= 300)));
  assert.equal(results.filter((r) => r.body.outcome === 'stored').length, replays * seqs);
  const list = await (await fetch(`${origin}/api/replays`)).json();
  for (let r = 0; r < replays; r++) {
    const replay = list.replays.find((entry) => entry.replayId === `load-${r}/42`);
    assert.deepEqual(replay.seqs, [0, 1, 2, 3, 4, 5, 6, 7], `load-${r}`);
    assert.equal(replay.logs, seqs);
    assert.deepEqual(replay.missingSeqs, []);
  }
});

test('the read API lists replays newest first, shows gaps and streams chunks', async () => {
  const error = { type: 6, data: { plugin: 'rrweb/console@1', payload: { level: 'error', trace: [], payload: ['"boom"'] } }, timestamp: 9_000_000_000_002 };
  await post(chunk('reader', '7', 0, [{ type: 4, data: { href: 'x', width: 1, height: 1 }, timestamp: 9_000_000_000_000 }]));
  await post({ ...chunk('reader', '7', 2, [error]), user: { userId: 'u-1' } });
  const { replays } = await (await fetch(`${origin}/api/replays`)).json();
  assert.equal(replays[0].replayId, 'reader/7', 'the newest first');
  assert.deepEqual(replays[0].missingSeqs, [1], 'the gap is shown');
  assert.equal(replays[0].errors, 1);
  assert.deepEqual(replays[0].user, { userId: 'u-1' });
  assert.equal(replays[0].durationMs, 2);
  const one = await fetch(`${origin}/api/replays/${encodeURIComponent('reader/7')}/chunks/2`);
  assert.equal(one.status, 200);
  assert.equal(one.headers.get('content-type'), 'application/gzip');
  const stored = JSON.parse(zlib.gunzipSync(Buffer.from(await one.arrayBuffer())));
  assert.equal(stored.seq, 2);
  assert.equal((await fetch(`${origin}/api/replays/${encodeURIComponent('reader/7')}/chunks/1`)).status, 404);
  assert.equal((await fetch(`${origin}/api/replays/${encodeURIComponent('../../etc/passwd')}`)).status, 400);
});

test('with API keys, a chunk without a valid key is refused with 401', async () => {
  const keyed = await startCollector({ apiKeys: ['rk_live_1', 'rk_live_2'] });
  try {
    const body = chunk('keyed', '1', 0);
    assert.equal((await post(body, {}, keyed.origin)).status, 401);
    assert.equal((await post(body, { Authorization: 'Bearer nope' }, keyed.origin)).status, 401);
    assert.equal((await post(body, { Authorization: 'Bearer rk_live_2' }, keyed.origin)).status, 201);
  } finally {
    await keyed.close();
  }
});

test('CORS: a preflight from another origin is answered and the POST allowed', async () => {
  const preflight = await fetch(`${origin}/ingest`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,content-encoding,authorization' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://shop.example');
  assert.match(preflight.headers.get('access-control-allow-headers'), /Content-Encoding/);
  const posted = await fetch(`${origin}/ingest`, {
    method: 'POST',
    headers: { Origin: 'https://shop.example', 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
    body: zlib.gzipSync(JSON.stringify(chunk('cors', '1', 0))),
  });
  assert.equal(posted.headers.get('access-control-allow-origin'), 'https://shop.example');
});

test('with read keys, the read API demands one (401 saying how), and the ingest key is not one', async () => {
  const keyed = await startCollector({ apiKeys: ['rk_ingest'], readKeys: ['rk_read_1', 'rk_read_2'] });
  try {
    assert.equal((await post(chunk('secret', '1', 0), { Authorization: 'Bearer rk_ingest' }, keyed.origin)).status, 201);
    assert.equal((await post(chunk('secret', '1', 1), { Authorization: 'Bearer rk_read_1' }, keyed.origin)).status, 401, 'a read key does not ingest');
    const paths = ['/api/replays', `/api/replays/${encodeURIComponent('secret/1')}`, `/api/replays/${encodeURIComponent('secret/1')}/chunks/0`];
    for (const route of paths) {
      const bare = await fetch(`${keyed.origin}${route}`);
      assert.equal(bare.status, 401, route);
      assert.equal(bare.headers.get('www-authenticate'), 'Bearer');
      assert.match((await bare.json()).error, /needs a read key: send Authorization: Bearer <key>.*REWIND_READ_KEYS/);
      for (const wrong of ['Bearer rk_ingest', 'Bearer rk_read_1x', 'Bearer rk_read_', 'Basic rk_read_1', 'Bearer']) {
        const refused = await fetch(`${keyed.origin}${route}`, { headers: { Authorization: wrong } });
        assert.equal(refused.status, 401, `${route} with ${wrong}`);
        await refused.arrayBuffer();
      }
      // Even a malformed path says 401 first: nothing about the store leaks without a key.
      assert.equal((await fetch(`${keyed.origin}${route}/%E0%A4%A`)).status, 401);
      const allowed = await fetch(`${keyed.origin}${route}`, { headers: { Authorization: 'bearer  rk_read_2' } });
      assert.equal(allowed.status, 200, route);
      await allowed.arrayBuffer();
    }
    const { replays } = await (await fetch(`${keyed.origin}/api/replays`, { headers: { Authorization: 'Bearer rk_read_1' } })).json();
    assert.ok(replays.some((replay) => replay.replayId === 'secret/1'));
  } finally {
    await keyed.close();
  }
});

test("readAllowed (the server's other read routes) takes what the read API takes", () => {
  const request = (authorization) => ({ headers: authorization === undefined ? {} : { authorization } });
  const open = createCollector({ dataDir });
  assert.equal(open.readAllowed(request()), true, 'no read keys: anyone may read');
  const keyed = createCollector({ dataDir, apiKeys: ['rk_ingest'], readKeys: ['rk_read_1', 'rk_read_2'] });
  for (const [authorization, allowed] of [
    [undefined, false],
    ['Bearer rk_ingest', false],
    ['Bearer rk_read_1x', false],
    ['Basic rk_read_1', false],
    ['Bearer', false],
    ['Bearer rk_read_1', true],
    ['bearer  rk_read_2', true],
  ]) {
    assert.equal(keyed.readAllowed(request(authorization)), allowed, String(authorization));
  }
});

test('a malformed percent-encoding in a path answers 400 with the reason, never 500', async () => {
  await post(chunk('enc', '1', 0));
  for (const route of ['/api/replays/%E0%A4%A', '/api/replays/enc%2F1%zz', '/api/replays/%E0%A4%A/chunks/0', `/api/replays/${encodeURIComponent('enc/1')}/chunks/%C0%AF`, '/api/replays/%']) {
    const response = await fetch(`${origin}${route}`);
    assert.equal(response.status, 400, route);
    assert.match((await response.json()).error, /malformed percent-encoding .*each % must start a %XX escape/, route);
  }
  // The demo server's static files decode paths too.
  const { createDemoServer } = await import('../../www/server.mjs');
  const demo = await listen(createDemoServer({ dataDir, apiKeys: [], readKeys: [] }));
  try {
    const demoOrigin = demo.origin;
    const staticFile = await fetch(`${demoOrigin}/%E0%A4%A.html`);
    assert.equal(staticFile.status, 400);
    assert.match(await staticFile.text(), /malformed percent-encoding/);
    assert.equal((await fetch(`${demoOrigin}/api/replays/%E0%A4%A`)).status, 400);
    // An absolute-form target whose host does not parse: 400, and the server lives on.
    const raw = await new Promise((resolve, reject) => {
      const socket = net.connect(demo.port, '127.0.0.1', () => socket.end('GET http://[bad/api/replays HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (data) => (text += data));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.equal((await fetch(`${demoOrigin}/api/replays`)).status, 200);
  } finally {
    await demo.close();
  }
});

test('ids whose encoding is longer than a file name are stored and read back', async () => {
  const dots = '.'.repeat(128);
  const colons = ':'.repeat(128);
  for (const [deviceId, sessionId] of [[dots, colons], [`${dots.slice(1)}a`, colons]]) {
    const response = await post(chunk(deviceId, sessionId, 0));
    assert.equal(response.status, 201, response.body?.error);
    const replayId = `${deviceId}/${sessionId}`;
    const read = await fetch(`${origin}/api/replays/${encodeURIComponent(replayId)}/chunks/0`);
    assert.equal(read.status, 200);
    assert.equal(JSON.parse(zlib.gunzipSync(Buffer.from(await read.arrayBuffer()))).deviceId, deviceId);
  }
  const names = encodeSegment(dots);
  assert.ok(names.length <= 255 && names.endsWith(`~${names.slice(-64)}`), names);
  assert.notEqual(encodeSegment(dots), encodeSegment(`${dots.slice(1)}a`), 'distinct ids keep distinct names');
});

test('a replay with a huge gap lists its first 1,000 missing seqs and counts them all', async () => {
  await post(chunk('gappy', '1', 0));
  await post(chunk('gappy', '1', 1_000_000_000));
  const replay = await (await fetch(`${origin}/api/replays/${encodeURIComponent('gappy/1')}`)).json();
  assert.equal(replay.missingCount, 999_999_999);
  assert.equal(replay.missingSeqs.length, 1000);
  assert.deepEqual(replay.missingSeqs.slice(0, 3), [1, 2, 3]);
});

test('events nested deeper than 10,000 levels are refused with the reason', async () => {
  const text = JSON.stringify({ ...chunk('deep', '1', 0), events: 'DEEP' });
  const deep = await post(zlib.gzipSync(text.replace('"DEEP"', `${'['.repeat(10_001)}${']'.repeat(10_001)}`)));
  assert.equal(deep.status, 400);
  assert.match(deep.body.error, /nests deeper than 10000 levels/);
  const fine = await post(zlib.gzipSync(text.replace('"DEEP"', `${'['.repeat(5_000)}${']'.repeat(5_000)}`)));
  assert.equal(fine.status, 201);
});

test('the chunk scanner accepts what JSON.parse accepts and reads the same fields and counts', () => {
  // Random documents shaped like chunks (duplicate keys, escapes, odd
  // numbers, wrong types), and random byte edits of them.
  let seed = 20_240_601;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (items) => items[Math.floor(random() * items.length)];
  const words = ['log', 'error', 'rrweb/console@1', 'rrweb\\/console@1', 'type', 'data', 'tag', 'plugin', 'payload', 'level', 'events', 'seq', 'user', '\\u0074ype', 'é', '\\n'];
  const value = (depth) => {
    const roll = random();
    if (depth > 5 || roll < 0.3) return pick(['5', '6', '6.0', '60e-1', '-0', '1e400', 'true', 'false', 'null', `"${pick(words)}"`, '12345678901234567890']);
    const items = Array.from({ length: Math.floor(random() * 4) }, () => (roll < 0.6 ? `"${pick(words)}":${value(depth + 1)}` : value(depth + 1)));
    return roll < 0.6 ? `{${items.join(',')}}` : `[${items.join(',')}]`;
  };
  const event = () =>
    pick([
      '{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"error"}}}',
      '{"type":5,"data":{"tag":"log"}}',
      `{"type":5,"data":{"tag":"log"},"data":${value(3)}}`,
      `{"data":{"payload":{"level":"error"},"plugin":"rrweb/console@1"},"type":6,"type":${value(3)}}`,
      value(2),
    ]);
  const document = () => {
    const parts = [`"events":[${Array.from({ length: 1 + Math.floor(random() * 4) }, event).join(',')}]`, `"seq":${value(2)}`, '"deviceId":"d"', `"user":${value(2)}`];
    if (random() < 0.2) parts.push(`"events":${value(1)}`);
    return `{${parts.sort(() => random() - 0.5).join(',')}}`;
  };
  const expected = (bytes) => {
    let parsed;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return 'invalid';
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    const events = isObject && Array.isArray(parsed.events) ? parsed.events : null;
    const fields = {};
    for (const key of ['replayId', 'deviceId', 'sessionId', 'seq', 'startTimestamp', 'endTimestamp', 'user']) if (isObject && Object.hasOwn(parsed, key)) fields[key] = parsed[key];
    return {
      isObject,
      fields,
      eventsIsArray: events !== null,
      errors: (events ?? []).filter((e) => e?.type === 6 && e.data?.plugin === 'rrweb/console@1' && e.data.payload?.level === 'error').length,
      logs: (events ?? []).filter((e) => e?.type === 5 && e.data?.tag === 'log').length,
    };
  };
  const scanned = (bytes) => {
    try {
      const result = scanChunk(bytes);
      return { ...result, errors: result.eventsIsArray ? result.errors : 0, logs: result.eventsIsArray ? result.logs : 0 };
    } catch (error) {
      if (error instanceof ChunkSyntaxError) return 'invalid';
      throw error;
    }
  };
  let valid = 0;
  for (let run = 0; run < 5000; run++) {
    let bytes = Buffer.from(random() < 0.5 ? document() : value(0));
    if (random() < 0.4) {
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * bytes.length);
        const roll = random();
        if (roll < 0.4) bytes[at] = pick([0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xe0, 0xff, 0x2d, 0x30, 0x2e, 0x65, 0x75]);
        else if (roll < 0.7) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(at)]);
      }
    }
    const want = expected(bytes);
    if (want !== 'invalid') valid += 1;
    assert.deepEqual(scanned(bytes), want, bytes.toString('latin1'));
  }
  assert.ok(valid > 2500 && valid < 4500, `both valid and invalid documents were tried (${valid} valid of 5000)`);
});

test('HOST: loopback addresses are recognised, and any other needs read keys', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(host), true, host);
    assert.equal(listenRefusal({ host, readKeys: [] }), null, host);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', '128.0.0.1', '::2', 'fe80::1%eth0', 'example.com', 'localhost.example.com', '1.127.0.0']) {
    assert.equal(isLoopbackHost(host), false, host);
    assert.match(listenRefusal({ host, readKeys: [] }), new RegExp(`refusing to listen on ${host.replace(/[.]/g, '\\.')} without read keys: anyone who can reach it could list and download every stored session\\. Set REWIND_READ_KEYS`));
    assert.equal(listenRefusal({ host, readKeys: ['rk_read'] }), null, host);
  }
  assert.equal(readSettings({}).host, '127.0.0.1', 'the default');
  assert.equal(readSettings({ HOST: '' }).host, '127.0.0.1');
  assert.deepEqual(readSettings({ HOST: '0.0.0.0', REWIND_READ_KEYS: ' rk_a , rk_b ,' }).readKeys, ['rk_a', 'rk_b']);
  assert.equal(readSettings({ HOST: '0.0.0.0' }).ok, false);
  assert.match(readSettings({ REWIND_READ_KEYS: 'has space' }).error, /printable ASCII without spaces/);
  assert.match(readSettings({ REWIND_READ_KEYS: 'clé' }).error, /printable ASCII without spaces/);
  assert.match(readSettings({ PORT: 'x' }).error, /PORT must be a port number/);
});

/** Runs `node www/server.mjs` with `env`, guarded so that it cannot bind anything but loopback. */
function startServerProcess(env) {
  // Loaded before the server: a listen() on any other address ends the
  // process (exit 99) instead of binding it.
  const guard = `import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const host = typeof args[0] === 'object' && args[0] !== null ? args[0].host : args[1];
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) { process.stderr.write('listen guard: refused to bind ' + host + '\\n'); process.exit(99); }
  return listen.apply(this, args);
};`;
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(guard)}`, path.join(repoRoot, 'www/server.mjs')], {
    env: { PATH: process.env.PATH, PORT: '0', REWIND_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (data) => (output.stdout += data));
  child.stderr.on('data', (data) => (output.stderr += data));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

test('npm start refuses to listen beyond loopback without read keys, before binding anything', async () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
    const { output, exited } = startServerProcess({ HOST: host });
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
    assert.equal(code, 1, `${host}: ${output.stderr}`);
    assert.match(output.stderr, new RegExp(`refusing to listen on ${host.replace(/[.]/g, '\\.')} without read keys.*Set REWIND_READ_KEYS=.*or HOST=127\\.0\\.0\\.1`));
    assert.equal(output.stdout, '', 'nothing was served');
  }
});

test('npm start with HOST and REWIND_READ_KEYS serves reads to a key holder only', async () => {
  const { child, output, exited } = startServerProcess({ HOST: '127.0.0.1', REWIND_READ_KEYS: 'rk_one,rk_two' });
  try {
    const started = Date.now();
    while (!/rewind player: (http:\/\/127\.0\.0\.1:\d+)\//.test(output.stdout) && Date.now() - started < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const served = /rewind player: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output.stdout)?.[1];
    assert.ok(served, `the server printed its address: ${output.stdout} ${output.stderr}`);
    assert.match(output.stdout, /need one of the 2 key\(s\) in REWIND_READ_KEYS/);
    assert.equal((await fetch(`${served}/api/replays`)).status, 401);
    assert.equal((await fetch(`${served}/api/replays`, { headers: { Authorization: 'Bearer rk_two' } })).status, 200);
  } finally {
    child.kill();
    await exited;
  }
});
