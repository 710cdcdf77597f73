// The reference collector (www/collector.mjs) over real HTTP on 127.0.0.1:
// ids and seqs validated, traversal impossible, oversized bodies and gzip
// bombs refused, each seq stored once however often and however
// concurrently it arrives, API keys, CORS, and the read API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { createCollector, encodeSegment } from '../../www/collector.mjs';

let server;
let origin;
let dataDir;

async function startCollector(options = {}) {
  const collector = createCollector({ dataDir, ...options });
  const instance = http.createServer(async (request, response) => {
    if (!(await collector.handle(request, response))) response.writeHead(404).end();
  });
  await new Promise((resolve) => instance.listen(0, '127.0.0.1', resolve));
  return { instance, origin: `http://127.0.0.1:${instance.address().port}` };
}

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rewind-collector-'));
  ({ instance: server, origin } = await startCollector({ limits: { maxBodyBytes: 256 * 1024, maxInflatedBytes: 2 * 1024 * 1024 } }));
});
after(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
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
    keyed.instance.closeAllConnections();
    await new Promise((resolve) => keyed.instance.close(resolve));
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
