// Fuzzes the whole HTTP surface `npm start` serves (the reference collector
// and the static files, www/server.mjs) for FUZZ_SECONDS (default 30) with a
// seeded PRNG (FUZZ_SEED; printed, so a failure can be rerun): random
// methods, request targets (traversal attempts, malformed percent-encodings,
// absolute forms, very long paths), headers (Content-Length that lies,
// chunked framing, bogus Content-Encoding, Authorization variants) and
// bodies (random bytes, gzip of random JSON, valid and near-valid chunks,
// broken gzip, gzip bombs within and past the limits, oversized bodies),
// sent as raw bytes over 127.0.0.1. Two servers are fuzzed at once: one
// with ingest and read keys, one open.
//
// It must never answer 5xx, log an internal error or crash; never serve a
// file from outside its folders nor a replay without the read key; never
// write outside its data folder (each data folder lives in a temporary
// parent with a canary file, and the parent must hold nothing else after);
// and its memory stays bounded (heap and RSS sampled during the run).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { DEFAULT_LIMITS } from '../../www/collector.mjs';
import { createDemoServer } from '../../www/server.mjs';
import { repoRoot, listen } from '../support/static-server.mjs';

function positiveNumberFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

const SECONDS = positiveNumberFromEnv('FUZZ_SECONDS', 30);
const SEED = Math.floor(positiveNumberFromEnv('FUZZ_SEED', randomInt(1, 2 ** 31)));
const WORKERS = 8;
/** The loop's bound besides the clock: far more than 30 s can send. */
const MAX_REQUESTS = Math.ceil(SECONDS * 5000);
const RESPONSE_TIMEOUT_MS = 20_000;
const INGEST_KEY = 'rk_ingest_fuzz_0123456789';
const READ_KEY = 'rk_read_fuzz_9876543210';
/** Memory bounds over the run's first samples (generous: the collector's own bound is 2 inflations of 64 MiB). */
const MAX_HEAP_GROWTH = 200 * 1024 * 1024;
const MAX_RSS_GROWTH = 768 * 1024 * 1024;
const FAILURES_DIR = path.join(repoRoot, 'test-results', 'collector-fuzz');

console.log(`[fuzz] seed ${SEED}, ${SECONDS} s, ${WORKERS} workers (rerun with FUZZ_SEED=${SEED})`);

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (items) => items[int(items.length)];
  /** Picks from [weight, value] pairs. */
  const weighted = (pairs) => {
    let roll = next() * pairs.reduce((sum, [weight]) => sum + weight, 0);
    for (const [weight, value] of pairs) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return pairs.at(-1)[1];
  };
  const bytes = (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = int(256);
    return out;
  };
  return { next, int, pick, weighted, bytes };
}

// Ids the valid chunks use, few enough that reads often find what writes
// stored, with the awkward ones: '..', dots and colons that encode to more
// than a file name holds, every allowed punctuation.
const DEVICES = ['dev-1', 'dev-2', '..', 'a.b@c.example', '.'.repeat(128), ':'.repeat(100) + 'x', 'u|1=2', 'Z'.repeat(128)];
const SESSIONS = ['1700000000000', 's-2', '...', '='.repeat(128)];

function randomJson(rng, depth = 0) {
  const roll = rng.next();
  if (depth > 4 || roll < 0.35) {
    return rng.pick([0, -1, 1.5, 1e308, 6, 5, 'log', 'error', 'rrweb/console@1', '', '\u0000\ud800', 'é🙂', true, false, null, 'x'.repeat(rng.int(300))]);
  }
  if (roll < 0.65) return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth + 1));
  const object = {};
  for (let i = rng.int(5); i > 0; i--) {
    object[rng.pick(['type', 'data', 'tag', 'plugin', 'payload', 'level', 'seq', 'events', '__proto__', 'constructor', 'x'])] = randomJson(rng, depth + 1);
  }
  return object;
}

function randomEvent(rng) {
  return rng.weighted([
    [3, { type: 5, timestamp: 1_700_000_000_000 + rng.int(1e6), data: { tag: 'log', payload: { message: 'fuzz' } } }],
    [3, { type: 6, timestamp: 1_700_000_000_000 + rng.int(1e6), data: { plugin: 'rrweb/console@1', payload: { level: 'error', trace: [], payload: ['"boom"'] } } }],
    [3, { type: 3, timestamp: 1_700_000_000_000 + rng.int(1e6), data: { source: 2, type: 2, id: rng.int(100), x: 1, y: 2 } }],
    [2, randomJson(rng, 1)],
  ]);
}

function validChunk(rng) {
  const deviceId = rng.pick(DEVICES);
  const sessionId = rng.pick(SESSIONS);
  const events = Array.from({ length: 1 + rng.int(6) }, () => randomEvent(rng));
  return {
    replayId: `${deviceId}/${sessionId}`,
    deviceId,
    sessionId,
    seq: rng.weighted([[20, rng.int(8)], [1, DEFAULT_LIMITS.maxSeq], [1, rng.int(DEFAULT_LIMITS.maxSeq)]]),
    startTimestamp: 1_700_000_000_000,
    endTimestamp: 1_700_000_000_000 + rng.int(1e6),
    events,
    sdk: { name: 'rewind', version: 'fuzz' },
    ...(rng.next() < 0.2 ? { user: { userId: 'u-1', traits: randomJson(rng, 2) } } : {}),
  };
}

/** A valid chunk with one thing wrong, as JSON text (duplicate keys and cut text need text). */
function nearValidChunkText(rng) {
  const chunk = validChunk(rng);
  const mutation = rng.int(12);
  const fields = ['replayId', 'deviceId', 'sessionId', 'seq', 'startTimestamp', 'endTimestamp', 'events', 'user'];
  switch (mutation) {
    case 0:
      delete chunk[rng.pick(fields)];
      break;
    case 1:
      chunk[rng.pick(fields)] = randomJson(rng, 3);
      break;
    case 2:
      chunk.seq = rng.pick([-1, 1.5, '3', DEFAULT_LIMITS.maxSeq + 1, 1e400, null, [0]]);
      break;
    case 3:
      chunk.deviceId = rng.pick(['', '../etc', 'a/b', 'x'.repeat(129), 'é', '%2e%2e', 'a b', '\u0000']);
      chunk.replayId = `${chunk.deviceId}/${chunk.sessionId}`;
      break;
    case 4:
      chunk.replayId = `${chunk.deviceId}/other`;
      break;
    case 5:
      chunk.user = { userId: 'big', traits: 'x'.repeat(70 * 1024) };
      break;
    case 6: {
      const text = JSON.stringify(chunk);
      return text.slice(0, rng.int(text.length));
    }
    case 7:
      // A duplicate key: the last one wins, in JSON.parse and in the collector.
      return JSON.stringify(chunk).replace(/^\{/, `{"seq":${JSON.stringify(randomJson(rng, 4))},"events":7,`);
    case 8:
      return JSON.stringify(chunk).replace(/^\{/, '{"__proto__":{"polluted":true},');
    case 9: {
      // Nested arrays, past the collector's 10,000 levels or not.
      const depth = 1 + rng.int(12_000);
      return JSON.stringify({ ...chunk, events: 'DEEP' }).replace('"DEEP"', `${'['.repeat(depth)}${']'.repeat(depth)}`);
    }
    case 10:
      return `\ufeff${JSON.stringify(chunk)}`;
    default:
      chunk.startTimestamp = rng.pick(['soon', Infinity, NaN, -1e400]);
  }
  return JSON.stringify(chunk);
}

/**
 * Gzip bombs built once (from Buffers, so no huge string sits in the heap):
 * inflating just under the limit, stored (whitespace; 21 million empty
 * events, which JSON.parse would turn into 1.4 GB of heap) or refused for
 * their content (nesting), and past the limit (413).
 */
function buildBombs(maxInflated) {
  const head = Buffer.from('{"replayId":"bomb/1","deviceId":"bomb","sessionId":"1","seq":0,"startTimestamp":1,"endTimestamp":2,"events":');
  const room = maxInflated - 1024 - ((maxInflated - 1024) % 6); // room for the head and tail; a multiple of 2 and 3
  const gzip = (...parts) => zlib.gzipSync(Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part))));
  return {
    spaces: gzip(head, '[', Buffer.alloc(room, ' '), ']}'),
    objects: gzip(head, '[', Buffer.alloc(room, '{},'), '{}]}'),
    nesting: gzip(head, Buffer.alloc(room / 2, '['), Buffer.alloc(room / 2, ']'), '}'),
    pastLimit: gzip(Buffer.alloc(maxInflated + 1024, ' ')),
  };
}

function gzipVariant(rng, json) {
  const gz = zlib.gzipSync(json);
  switch (rng.int(7)) {
    case 0:
      return gz.subarray(0, rng.int(gz.length)); // cut
    case 1:
      return Buffer.concat([gz, rng.bytes(1 + rng.int(64))]); // trailing garbage
    case 2:
      return Buffer.concat([gz, zlib.gzipSync(json)]); // two members
    case 3: {
      const bad = Buffer.from(gz);
      bad[bad.length - 6] ^= 0xff; // CRC broken
      return bad;
    }
    case 4:
      return zlib.deflateRawSync(json);
    case 5:
      return zlib.brotliCompressSync(json);
    default:
      return Buffer.from(json); // plain JSON, said to be gzip
  }
}

/** A body: its bytes and what kind it is (for the failure report). */
function randomBody(rng, state) {
  const kind = rng.weighted([
    [10, 'empty'],
    [10, 'random bytes'],
    [15, 'gzip random JSON'],
    [25, 'valid chunk'],
    [25, 'near-valid chunk'],
    [10, 'broken gzip'],
    [0.6, 'bomb'],
    [0.4, 'oversized'],
  ]);
  switch (kind) {
    case 'empty':
      return { kind, bytes: Buffer.alloc(0) };
    case 'random bytes':
      return { kind, bytes: rng.bytes(rng.weighted([[9, rng.int(2048)], [1, rng.int(64 * 1024)]])) };
    case 'gzip random JSON':
      return { kind, bytes: zlib.gzipSync(JSON.stringify(randomJson(rng))) };
    case 'valid chunk':
      return { kind, bytes: zlib.gzipSync(JSON.stringify(validChunk(rng))) };
    case 'near-valid chunk':
      return { kind, bytes: zlib.gzipSync(nearValidChunkText(rng)) };
    case 'broken gzip':
      return { kind, bytes: gzipVariant(rng, JSON.stringify(validChunk(rng))) };
    case 'bomb': {
      // Each bomb costs the server about a second of CPU: a few per run.
      if (state.bombs >= 16) return { kind: 'empty', bytes: Buffer.alloc(0) };
      state.bombs += 1;
      const name = rng.pick(Object.keys(state.bombBodies));
      return { kind: `bomb (${name})`, bytes: state.bombBodies[name] };
    }
    default: {
      if (state.oversized >= 8) return { kind: 'empty', bytes: Buffer.alloc(0) };
      state.oversized += 1;
      return { kind, bytes: Buffer.alloc(DEFAULT_LIMITS.maxBodyBytes + 1 + rng.int(4096), 0x61) };
    }
  }
}

const MALFORMED = ['%', '%E0%A4%A', '%zz', '%C0%AF', '%ED%A0%80', '%FF', '%00', '%%', '%E0%A4', '%2', '%u0041'];
const TRAVERSALS = [
  '/../../../../etc/passwd',
  '/api/replays/..%2F..%2F..%2Fetc%2Fpasswd',
  '/api/replays/%2E%2E/%2E%2E/chunks/0',
  '/api/replays/..%2F..%2F..%2F..%2Fetc/chunks/0',
  '/dist/../../package.json',
  '/vendor/rrweb/..%2F..%2F..%2Fpackage.json',
  '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/..\\..\\..\\etc\\passwd',
  '/api/replays/..%252F..%252Fetc',
  `/api/replays/${'%2E%2E%2F'.repeat(20)}etc%2Fpasswd`,
  '/www-dist/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/api/replays/%2E%2E%2F%2E%2E/chunks/1',
];

function randomReplayPath(rng) {
  const replayId = `${rng.pick(DEVICES)}/${rng.pick(SESSIONS)}`;
  const encoded = rng.next() < 0.8 ? encodeURIComponent(replayId) : replayId;
  return rng.weighted([
    [3, '/api/replays'],
    [4, `/api/replays/${encoded}`],
    [6, `/api/replays/${encoded}/chunks/${rng.weighted([[9, rng.int(8)], [1, '9'.repeat(1 + rng.int(400))]])}`],
    [1, '/api/replays/'],
    [1, '/api/replaysX'],
  ]);
}

function insertAt(rng, text, piece) {
  const at = rng.int(text.length + 1);
  return text.slice(0, at) + piece + text.slice(at);
}

function randomTarget(rng, method) {
  let target = rng.weighted([
    [method === 'POST' ? 40 : 3, '/ingest'],
    [method === 'POST' ? 3 : 30, randomReplayPath(rng)],
    [8, rng.pick(['/', '/player.html', '/player.js', '/app.html', '/dist/rewind.js', '/vendor/rrweb-player/style.css', '/nope', '/ingest/', '/INGEST'])],
    [8, rng.pick(TRAVERSALS)],
    [8, insertAt(rng, randomReplayPath(rng), rng.pick(MALFORMED))],
    [2, `/api/replays/${'a'.repeat(rng.weighted([[3, 4000], [2, 15_000], [1, 40_000]]))}`],
    [2, rng.pick(['http://[bad/api/replays', 'http://%zz/ingest', 'http://a:99999/api/replays', 'http://x/ingest', 'http://127.0.0.1/api/replays', '*', '//ingest', 'ingest'])],
    [2, `/${rng.bytes(1 + rng.int(40)).toString('latin1').replace(/[\s]/g, '_')}`],
  ]);
  if (rng.next() < 0.1) target += rng.pick(['?x=1', '?', '#frag', '?a=%zz', `?${'q'.repeat(2000)}`]);
  return target;
}

function randomAuthorization(rng) {
  return rng.weighted([
    [4, null],
    [8, `Bearer ${INGEST_KEY}`],
    [8, `Bearer ${READ_KEY}`],
    [1, `bearer \t${READ_KEY}  `],
    [1, `Bearer ${READ_KEY.slice(0, -1)}`],
    [1, `Bearer ${READ_KEY}x`],
    [1, 'Bearer'],
    [1, 'Bearer '],
    [1, `Basic ${Buffer.from(`a:${READ_KEY}`).toString('base64')}`],
    [1, `Bearer ${'A'.repeat(8000)}`],
    [1, `Bearer ${rng.bytes(20).toString('latin1').replace(/[\x00-\x1f\x7f]/g, 'x')}`],
  ]);
}

/** Writes the request's body with its framing; says whether to half-close after. */
function frame(rng, body) {
  const framing = rng.weighted([
    [70, 'exact'],
    [5, 'declared short'],
    [5, 'declared long'],
    [3, 'bogus'],
    [3, 'none'],
    [10, 'chunked'],
    [4, 'broken chunked'],
  ]);
  const headers = [];
  let payload = body;
  let halfClose = false;
  switch (framing) {
    case 'exact':
      headers.push(`Content-Length: ${body.length}`);
      break;
    case 'declared short':
      headers.push(`Content-Length: ${rng.int(body.length + 1)}`);
      break;
    case 'declared long':
      headers.push(`Content-Length: ${body.length + 1 + rng.int(1_000_000)}`);
      halfClose = true;
      break;
    case 'bogus':
      headers.push(rng.pick(['Content-Length: abc', 'Content-Length: -1', 'Content-Length: 1e3', `Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}`, 'Content-Length: 99999999999999999999']));
      halfClose = true;
      break;
    case 'none':
      break;
    case 'chunked': {
      headers.push('Transfer-Encoding: chunked');
      const parts = [];
      for (let at = 0; at < body.length; ) {
        const size = Math.min(body.length - at, 1 + rng.int(64 * 1024));
        parts.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(at, at + size), Buffer.from('\r\n'));
        at += size;
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      payload = Buffer.concat(parts);
      break;
    }
    default:
      headers.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([Buffer.from(rng.pick(['zz\r\n', `${(body.length + 10).toString(16)}\r\n`, '5\r\nab'])), body]);
      halfClose = true;
  }
  return { framing, headers, payload, halfClose };
}

/** One random request, as raw bytes, with what the checks need to know about it. */
function randomRequest(rng, state) {
  const method = rng.weighted([
    [30, 'GET'],
    [35, 'POST'],
    [8, 'HEAD'],
    [7, 'OPTIONS'],
    [6, rng.pick(['PUT', 'DELETE', 'PATCH', 'TRACE'])],
    [2, rng.pick(['get', 'FOO', 'CONNECT', 'G\u00c9T', 'PROPFIND'])],
  ]);
  const target = randomTarget(rng, method);
  const authorization = randomAuthorization(rng);
  const headers = [rng.weighted([[20, 'Host: 127.0.0.1'], [1, `Host: ${'h'.repeat(300)}`], [1, null]])];
  if (authorization !== null) headers.push(`Authorization: ${authorization}`);
  if (rng.next() < 0.7) headers.push(`Content-Encoding: ${rng.pick(['gzip', 'gzip', 'gzip', 'br', 'identity', 'gzip, gzip', 'x-bogus', '', 'GZIP'])}`);
  if (rng.next() < 0.6) headers.push(`Content-Type: ${rng.pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream'])}`);
  if (rng.next() < 0.3) headers.push(`Origin: ${rng.pick(['https://shop.example', 'null', 'http://127.0.0.1', `https://${'o'.repeat(200)}.example`])}`);
  if (rng.next() < 0.05) headers.push('Expect: 100-continue');
  for (let i = rng.weighted([[20, 0], [3, 1 + rng.int(5)], [1, 100]]); i > 0; i--) {
    headers.push(`X-Fuzz-${i}: ${rng.bytes(rng.int(64)).toString('latin1').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '')}`);
  }
  const body = method === 'POST' || rng.next() < 0.1 ? randomBody(rng, state) : { kind: 'empty', bytes: Buffer.alloc(0) };
  const framed = frame(rng, body.bytes);
  headers.push(...framed.headers);
  headers.push(rng.weighted([[6, 'Connection: close'], [1, 'Connection: keep-alive'], [1, null]]));
  const version = rng.weighted([[30, 'HTTP/1.1'], [2, 'HTTP/1.0'], [1, 'HTTP/9.9']]);
  const head = Buffer.from(`${method} ${target} ${version}\r\n${headers.filter((h) => h !== null).join('\r\n')}\r\n\r\n`, 'latin1');
  return {
    method,
    target,
    authorization,
    bodyKind: body.kind,
    framing: framed.framing,
    bytes: Buffer.concat([head, framed.payload]),
    halfClose: framed.halfClose,
    splitWrites: rng.next() < 0.05,
  };
}

/**
 * Sends raw bytes and reads the first final response: its status and up to
 * 1 MiB of body. Resolves { status: null } when the server closed without one.
 */
function exchange(port, request) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let status = null;
    let bodyStart = -1;
    let contentLength = null;
    let chunked = false;
    let settled = false;
    const finish = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, why, body: bodyStart >= 0 ? received.subarray(bodyStart) : Buffer.alloc(0) });
    };
    const timer = setTimeout(() => finish('timeout'), RESPONSE_TIMEOUT_MS);
    socket.on('data', (data) => {
      if (received.length < 1024 * 1024) received = Buffer.concat([received, data]);
      for (;;) {
        if (bodyStart < 0) {
          const end = received.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = received.subarray(0, end).toString('latin1');
          const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
          if (code >= 100 && code < 200) {
            received = received.subarray(end + 4); // 100 Continue: the final answer follows
            continue;
          }
          status = Number.isFinite(code) ? code : -1;
          bodyStart = end + 4;
          const length = /\r\ncontent-length: *(\d+)/i.exec(head);
          contentLength = length ? Number(length[1]) : null;
          chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
          if (request.method === 'HEAD' || status === 204 || status === 304) return finish('complete');
        }
        // Complete when its length is there, or its last chunk (a keep-alive answer stays open).
        if (contentLength !== null && received.length - bodyStart >= contentLength) finish('complete');
        if (chunked && received.subarray(bodyStart).toString('latin1').match(/(^|\r\n)0\r\n\r\n$/)) finish('complete');
        return;
      }
    });
    socket.on('error', () => finish('socket error'));
    socket.on('close', () => finish('closed'));
    socket.on('connect', async () => {
      if (request.splitWrites) {
        // In pieces, so the server's parser sees partial heads and bodies.
        for (let at = 0; at < request.bytes.length && !settled; at += 1 + Math.floor(request.bytes.length / 4)) {
          socket.write(request.bytes.subarray(at, at + 1 + Math.floor(request.bytes.length / 4)));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } else {
        socket.write(request.bytes);
      }
      if (request.halfClose && !settled) socket.end();
    });
  });
}

/** What the URL parser makes of a target, as the servers see it (null: not a URL). */
function pathnameOf(target) {
  try {
    return new URL(target, 'http://127.0.0.1').pathname;
  } catch {
    return null;
  }
}

/** Whether the request carries `key` the way the collector accepts it. */
function carriesKey(request, key) {
  const header = request.authorization?.trim() ?? '';
  return /^bearer[ \t]/i.test(header) && header.slice(7).trim() === key;
}

/** Every file and folder under `dir`, relative to it. */
async function walk(dir, prefix = '') {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    found.push({ path: relative, isDirectory: entry.isDirectory() });
    if (entry.isDirectory()) found.push(...(await walk(path.join(dir, entry.name), relative)));
  }
  return found;
}

let parent;
let canaryName;
let canaryToken;
const servers = {};

before(async () => {
  parent = await mkdtemp(path.join(os.tmpdir(), 'rewind-fuzz-'));
  canaryToken = `canary-${randomInt(2 ** 31)}-${randomInt(2 ** 31)}`;
  canaryName = `${canaryToken}.txt`;
  await writeFile(path.join(parent, canaryName), canaryToken);
  for (const [name, keys] of [
    ['keyed', { apiKeys: [INGEST_KEY], readKeys: [READ_KEY] }],
    ['open', { apiKeys: [], readKeys: [] }],
  ]) {
    const dataDir = path.join(parent, `${name}-data`);
    const { port, close } = await listen(createDemoServer({ dataDir, ...keys }));
    servers[name] = { close, dataDir, port, keys };
  }
});

after(async () => {
  for (const { close } of Object.values(servers)) await close();
  await rm(parent, { recursive: true, force: true });
});

test(`the collector's HTTP surface survives ${SECONDS} s of random requests (seed ${SEED})`, { timeout: (SECONDS + 150) * 1000 }, async (t) => {
  const state = { bombs: 0, oversized: 0, bombBodies: buildBombs(DEFAULT_LIMITS.maxInflatedBytes) };
  const failures = [];
  const statuses = new Map();
  const internalErrors = [];
  const onCrash = (error) => internalErrors.push(`uncaught: ${error?.stack ?? error}`);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const consoleError = console.error;
  console.error = (...args) => {
    internalErrors.push(args.map(String).join(' '));
    consoleError(...args);
  };

  const samples = [];
  const sample = () => samples.push(process.memoryUsage());
  sample();
  const sampler = setInterval(sample, 200);
  let sent = 0;
  let unanswered = 0;
  const started = Date.now();
  const deadline = started + SECONDS * 1000;

  function check(server, request, response) {
    const problems = [];
    if (response.status !== null) statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    else unanswered += 1;
    if (response.why === 'timeout') problems.push(`no answer within ${RESPONSE_TIMEOUT_MS} ms`);
    if (response.status >= 500) problems.push(`answered ${response.status}: ${response.body.toString('utf8').replace(/\s+/g, ' ').slice(0, 200)}`);
    const text = response.body.toString('latin1');
    if (text.includes(canaryToken) || text.includes('root:x:0:0')) problems.push('served a file from outside its folders');
    const pathname = pathnameOf(request.target);
    const isRead = pathname !== null && (pathname === '/api/replays' || pathname.startsWith('/api/replays/'));
    if (server === 'keyed' && isRead && response.status >= 200 && response.status < 300 && !carriesKey(request, READ_KEY)) {
      problems.push(`read ${pathname} without the read key (${response.status})`);
    }
    if (server === 'keyed' && pathname === '/ingest' && request.method === 'POST' && (response.status === 200 || response.status === 201) && !carriesKey(request, INGEST_KEY)) {
      problems.push('stored a chunk without the ingest key');
    }
    if (problems.length > 0) failures.push({ server, problems, request });
  }

  async function worker(index) {
    const rng = prng(SEED + index * 0x9e3779b9);
    while (Date.now() < deadline && sent < MAX_REQUESTS && failures.length < 20) {
      const server = rng.next() < 0.7 ? 'keyed' : 'open';
      const request = randomRequest(rng, state);
      sent += 1;
      check(server, request, await exchange(servers[server].port, request));
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  sample();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  console.error = consoleError;

  // Growth from the run's low-water mark to its peak (the first sample may
  // still hold garbage of the set-up).
  const low = (key) => Math.min(...samples.map((s) => s[key]));
  const heapGrowth = Math.max(...samples.map((s) => s.heapUsed)) - low('heapUsed');
  const rssGrowth = Math.max(...samples.map((s) => s.rss)) - low('rss');
  const base = { heapUsed: low('heapUsed'), rss: low('rss') };
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  const histogram = [...statuses].sort(([a], [b]) => a - b).map(([code, count]) => `${code}:${count}`).join(' ');
  t.diagnostic(`seed ${SEED}: ${sent} requests in ${elapsed.toFixed(1)} s (${(sent / elapsed).toFixed(0)}/s), ${state.bombs} gzip bombs, ${state.oversized} oversized bodies`);
  t.diagnostic(`statuses ${histogram}; closed without an answer: ${unanswered}`);
  t.diagnostic(`memory: heap ${mib(base.heapUsed)} MiB at its lowest, +${mib(heapGrowth)} MiB at its peak; RSS ${mib(base.rss)} MiB at its lowest, +${mib(rssGrowth)} MiB at its peak (${samples.length} samples)`);
  console.log(`[fuzz] seed ${SEED}: ${sent} requests, ${(sent / elapsed).toFixed(0)}/s; ${histogram}; heap +${mib(heapGrowth)} MiB, RSS +${mib(rssGrowth)} MiB`);

  if (failures.length > 0) {
    // Each failing request's raw bytes, to replay with `nc 127.0.0.1 <port> < file`.
    await mkdir(FAILURES_DIR, { recursive: true });
    await Promise.all(failures.map((failure, i) => writeFile(path.join(FAILURES_DIR, `seed-${SEED}-${i}.http`), failure.request.bytes)));
  }
  const report = failures
    .slice(0, 10)
    .map(({ server, problems, request }) =>
      `  ${server}: ${request.method} ${request.target.slice(0, 120)} [auth ${request.authorization?.slice(0, 40) ?? 'none'}, body ${request.bodyKind}, ${request.bytes.length} bytes, framing ${request.framing}]: ${problems.join('; ')}`,
    )
    .join('\n');
  assert.equal(failures.length, 0, `seed ${SEED}: ${failures.length} failing requests (raw bytes in ${FAILURES_DIR}):\n${report}`);
  assert.deepEqual(internalErrors, [], `seed ${SEED}: the server logged internal errors`);
  assert.ok(statuses.size > 5 && sent > 100, `seed ${SEED}: the fuzzer reached too little (${sent} requests, statuses ${histogram})`);
  assert.ok(heapGrowth < MAX_HEAP_GROWTH, `seed ${SEED}: heap grew by ${mib(heapGrowth)} MiB (bound ${mib(MAX_HEAP_GROWTH)})`);
  assert.ok(rssGrowth < MAX_RSS_GROWTH, `seed ${SEED}: RSS grew by ${mib(rssGrowth)} MiB (bound ${mib(MAX_RSS_GROWTH)})`);

  // Nothing beside the data folders, and the canary untouched.
  assert.deepEqual((await readdir(parent)).sort(), [canaryName, 'keyed-data', 'open-data'].sort());
  assert.equal(await readFile(path.join(parent, canaryName), 'utf8'), canaryToken);
  // Inside each: <device>/<session>/ holding <seq>.json.gz and meta.json
  // only (no temporary file left behind), and meta.json lists every seq.
  let replays = 0;
  for (const { dataDir } of Object.values(servers)) {
    const entries = await walk(dataDir).catch(() => []);
    const segment = /^[A-Za-z0-9_%-]{1,255}$|^[A-Za-z0-9_%-]{1,190}~[0-9a-f]{64}$/;
    for (const entry of entries) {
      const parts = entry.path.split('/');
      if (parts.length < 3) {
        assert.ok(entry.isDirectory && parts.every((part) => segment.test(part)), `unexpected ${entry.path} in ${dataDir}`);
      } else {
        assert.ok(parts.length === 3 && !entry.isDirectory && /^(\d+\.json\.gz|meta\.json)$/.test(parts[2]), `unexpected ${entry.path} in ${dataDir}`);
      }
    }
    for (const replay of entries.filter((entry) => entry.path.split('/').length === 2)) {
      const files = entries.filter((entry) => entry.path.startsWith(`${replay.path}/`) && entry.path.endsWith('.json.gz'));
      const meta = JSON.parse(await readFile(path.join(dataDir, replay.path, 'meta.json'), 'utf8'));
      const stored = files.map((entry) => Number(entry.path.split('/')[2].split('.')[0])).sort((a, b) => a - b);
      assert.deepEqual(meta.seqs, stored, `meta.json of ${replay.path} lists the stored seqs`);
      replays += 1;
    }
  }
  t.diagnostic(`${replays} replays stored, layout checked`);
});
