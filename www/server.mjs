// The demo server: serves the demo shell, the recorded app, rewind's built
// bundle and rrweb's Replayer on $HOST (default 127.0.0.1), port $PORT
// (default 8080), and the reference collector (www/collector.mjs: POST
// /ingest, GET /api/replays...), storing chunks in $REWIND_DATA_DIR (default
// ./data), with optional ingest keys from $REWIND_API_KEYS and read keys
// from $REWIND_READ_KEYS (both comma-separated), and a local stand-in for
// Segment under /segment/ (www/segment-endpoint.mjs: the analytics.js the
// demo app loads, and the tracking API its events go to), so the demo's
// analytics never leave this machine. It refuses to listen beyond this
// machine while anyone could read every stored session.
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createCollector } from './collector.mjs';
import { createSegmentEndpoint, SEGMENT_PREFIX } from './segment-endpoint.mjs';
import { sendFile } from './static-files.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// URL prefix -> folder. Longest prefix first.
const MOUNTS = [
  ['/dist/', path.join(repoRoot, 'dist')],
  ['/www-dist/', path.join(repoRoot, 'www/dist')],
  ['/vendor/rrweb/', path.join(repoRoot, 'node_modules/rrweb/dist')],
  ['/vendor/rrweb-player/', path.join(repoRoot, 'node_modules/rrweb-player/dist')],
  ['/', path.join(repoRoot, 'www/public')],
];

/** A comma-separated list of keys from the environment, blanks dropped. */
export function parseKeys(value) {
  return (value ?? '').split(',').map((key) => key.trim()).filter(Boolean);
}

/** What the local Segment endpoint received: read API, so behind the read keys. */
const SEGMENT_EVENTS_PATH = `${SEGMENT_PREFIX}/events`;

/**
 * @param {{ dataDir?: string, apiKeys?: string[], readKeys?: string[], segmentLog?: boolean }} options
 *   where the collector stores chunks (default $REWIND_DATA_DIR or ./data),
 *   the ingest keys it demands (default $REWIND_API_KEYS) and the read keys
 *   its read API and player demand (default $REWIND_READ_KEYS); none: no key.
 *   `segmentLog`: print a line for each event the local Segment endpoint
 *   receives (`npm start` does; tests only when they ask).
 */
export function createDemoServer({
  dataDir = process.env.REWIND_DATA_DIR || path.join(repoRoot, 'data'),
  apiKeys = parseKeys(process.env.REWIND_API_KEYS),
  readKeys = parseKeys(process.env.REWIND_READ_KEYS),
  segmentLog = false,
} = {}) {
  const collector = createCollector({ dataDir, apiKeys, readKeys });
  const segment = createSegmentEndpoint({ log: segmentLog });
  const server = http.createServer(async (request, response) => {
    if (await collector.handle(request, response)) return;
    // The events Segment received name replays and users: with read keys,
    // listing them takes one, as listing the replays does.
    if (isSegmentEventsList(request) && !collector.readAllowed(request)) {
      response
        .writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' })
        .end(JSON.stringify({ ok: false, error: `listing what the local Segment endpoint received (GET ${SEGMENT_EVENTS_PATH}) needs a read key: send Authorization: Bearer <key>, with one of the keys in REWIND_READ_KEYS` }));
      return;
    }
    if (await segment.handle(request, response)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end('only GET and HEAD');
      return;
    }
    let pathname;
    try {
      ({ pathname } = new URL(request.url, 'http://127.0.0.1'));
    } catch {
      response.writeHead(400).end('the request target is not a valid URL');
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const [prefix, folder] = MOUNTS.find(([prefix]) => pathname.startsWith(prefix));
    await sendFile(response, folder, pathname.slice(prefix.length));
  });
  return server;
}

function isSegmentEventsList(request) {
  try {
    return new URL(request.url, 'http://127.0.0.1').pathname === SEGMENT_EVENTS_PATH;
  } catch {
    return false;
  }
}

/**
 * Whether `host` names this machine only: localhost, 127.0.0.0/8 or ::1
 * (also written in full, or IPv4-mapped).
 */
export function isLoopbackHost(host) {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === 'localhost.') return true;
  if (net.isIPv4(name)) return name.split('.')[0] === '127';
  if (net.isIPv6(name)) {
    // The URL parser writes an IPv6 address in its shortest form (and
    // refuses a zone, 'fe80::1%eth0', which is no loopback anyway).
    let canonical;
    try {
      canonical = new URL(`http://[${name}]/`).hostname;
    } catch {
      return false;
    }
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  }
  return false;
}

/**
 * Why the server must not listen on `host`, or null when it may. Beyond
 * this machine, the read API without read keys would hand every stored
 * session to anyone who can reach it (the ingest key cannot protect reads:
 * it ships in every recorded page).
 * @param {{ host: string, readKeys: string[] }} settings
 */
export function listenRefusal({ host, readKeys }) {
  if (readKeys.length > 0 || isLoopbackHost(host)) return null;
  return (
    `refusing to listen on ${host} without read keys: anyone who can reach it could list and download every stored session. ` +
    'Set REWIND_READ_KEYS=<key>[,<key>...] (the player asks for one; REWIND_API_KEYS only guards ingest, since that key ships in every recorded page), ' +
    'or HOST=127.0.0.1 to serve this machine only.'
  );
}

/**
 * The settings `npm start` reads from the environment.
 * @returns {{ ok: true, port: number, host: string, dataDir: string, apiKeys: string[], readKeys: string[] } | { ok: false, error: string }}
 */
export function readSettings(env) {
  const port = Number(env.PORT || 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return { ok: false, error: `PORT must be a port number from 0 to 65535, got '${env.PORT}'` };
  }
  const host = env.HOST || '127.0.0.1';
  const readKeys = parseKeys(env.REWIND_READ_KEYS);
  const badKey = readKeys.find((key) => !/^[\x21-\x7e]+$/.test(key));
  if (badKey !== undefined) {
    return { ok: false, error: 'each key in REWIND_READ_KEYS must be printable ASCII without spaces (a browser sends it in an HTTP header); one is not' };
  }
  const refusal = listenRefusal({ host, readKeys });
  if (refusal) return { ok: false, error: refusal };
  return {
    ok: true,
    port,
    host,
    dataDir: env.REWIND_DATA_DIR || path.join(repoRoot, 'data'),
    apiKeys: parseKeys(env.REWIND_API_KEYS),
    readKeys,
  };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const settings = readSettings(process.env);
  if (!settings.ok) {
    console.error(settings.error);
    process.exit(1);
  }
  const { port, host, dataDir, apiKeys, readKeys } = settings;
  const server = createDemoServer({ dataDir, apiKeys, readKeys, segmentLog: true });
  server.on('error', (error) => {
    console.error(`cannot listen on ${host}:${port}: ${error.message} (set PORT or HOST to use another address)`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const { address, family } = server.address();
    const origin = `http://${family === 'IPv6' ? `[${address}]` : address}:${server.address().port}`;
    console.log(`rewind demo:   ${origin}/  (the app recorded, replayed live beside it)`);
    console.log(`rewind player: ${origin}/player.html  (sessions stored by the collector)`);
    console.log(`collector:     POST ${origin}/ingest, chunks in ${dataDir}`);
    console.log(
      `segment:       ${origin}${SEGMENT_PREFIX}/  (a local stand-in for Segment: the demo app's analytics.js comes from here and its events come back here, one line each below; GET ${SEGMENT_EVENTS_PATH} lists them)`,
    );
    console.log(
      readKeys.length > 0
        ? `reads:         the player, GET /api/replays and GET ${SEGMENT_EVENTS_PATH} need one of the ${readKeys.length} key(s) in REWIND_READ_KEYS`
        : 'reads:         open to this machine (set REWIND_READ_KEYS to demand a key)',
    );
    console.log('Ctrl+C to stop.');
  });
}
