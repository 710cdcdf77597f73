// A local stand-in for Segment's servers, for the demo and the tests (the
// machine reaches no Segment): its tracking API, where analytics.js's
// Segment.io destination posts events (apiHost `HOST/segment/v1`, protocol
// http), and its CDN, serving @segment/analytics-next's own standalone build
// (`analytics._cdn = ORIGIN/segment`) from node_modules and the source's
// settings (the same as localCdnSettings(), which npm users pass inline). Events are kept in
// memory, newest last, and (with `log`) printed a line each, the replay id
// property first, so one can see what Segment would have received.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sendFile } from './static-files.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UMD = path.join(repoRoot, 'node_modules/@segment/analytics-next/dist/umd');

export const SEGMENT_PREFIX = '/segment';
/** analytics.js's path for each call type (`t` track, `p` page, ...), and its batch paths. */
const CALL_PATHS = { t: 'track', p: 'page', s: 'screen', i: 'identify', g: 'group', a: 'alias' };
const BATCH_PATHS = ['batch', 'b', 'm'];
const MAX_BODY_BYTES = 512 * 1024;
const MAX_KEPT_EVENTS = 2000;

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
  'Access-Control-Max-Age': '600',
};

/**
 * `cdnSettings` for analytics.js: Segment.io's destination posting to this
 * endpoint on `host` (`127.0.0.1:PORT`), no other destination.
 */
export function localCdnSettings(host, writeKey = 'rewind-demo') {
  return {
    integrations: {
      'Segment.io': { apiKey: writeKey, apiHost: `${host}${SEGMENT_PREFIX}/v1`, protocol: 'http' },
    },
    plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } } },
    remotePlugins: [],
    // analytics.js's own telemetry would go to api.segment.io: none.
    metrics: { sampleRate: 0 },
  };
}

/** One line for the log: the call, its name, the replay id property. */
export function describeEvent(event) {
  // Everything from the request is JSON-quoted: the tracking API is open,
  // and a newline or a terminal escape in an id must not reach the log raw.
  const quote = (value) => JSON.stringify(String(value));
  const type = /^[a-z]+$/.test(event.type) ? event.type : quote(event.type);
  const name = event.type === 'track' ? quote(event.event) : event.name ? quote(event.name) : '';
  const replayId = event.properties?.['Session Replay ID'];
  const who = event.userId ? `user ${quote(event.userId)}` : `anonymous ${quote(event.anonymousId)}`;
  return `[segment] ${type} ${name} ${replayId ? `Session Replay ID=${quote(replayId)}` : '(no replay id)'} (${who})`.replace(/ +/g, ' ');
}

/**
 * @param {{ log?: boolean }} options `log`: print each event received.
 * @returns {{ handle(request, response): Promise<boolean>, events: object[] }}
 *   `handle` answers the requests under /segment/ (true) and leaves the
 *   others (false); `events` lists what the tracking API received.
 */
export function createSegmentEndpoint({ log = false } = {}) {
  const events = [];

  function keep(event) {
    events.push({ ...event, receivedAt: Date.now() });
    if (events.length > MAX_KEPT_EVENTS) events.splice(0, events.length - MAX_KEPT_EVENTS);
    if (log) console.log(describeEvent(event));
  }

  async function readJson(request) {
    const parts = [];
    let size = 0;
    for await (const part of request) {
      size += part.length;
      if (size > MAX_BODY_BYTES) throw new Error(`the body is over ${MAX_BODY_BYTES} bytes`);
      parts.push(part);
    }
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  }

  async function handle(request, response) {
    let pathname;
    try {
      ({ pathname } = new URL(request.url, 'http://127.0.0.1'));
    } catch {
      return false;
    }
    if (!pathname.startsWith(`${SEGMENT_PREFIX}/`)) return false;
    const rest = pathname.slice(SEGMENT_PREFIX.length);
    if (request.method === 'OPTIONS') {
      response.writeHead(204, CORS_HEADERS).end();
      return true;
    }
    if (rest.startsWith('/v1/') && request.method === 'POST') {
      const call = rest.slice('/v1/'.length);
      if (!CALL_PATHS[call] && !BATCH_PATHS.includes(call)) {
        response.writeHead(404, CORS_HEADERS).end(`no such tracking API path: ${call}`);
        return true;
      }
      let body;
      try {
        body = await readJson(request);
      } catch (error) {
        response.writeHead(400, CORS_HEADERS).end(`not a JSON event: ${error.message}`);
        return true;
      }
      for (const event of Array.isArray(body?.batch) ? body.batch : [body]) {
        if (event && typeof event === 'object') keep({ ...event, type: event.type ?? CALL_PATHS[call] });
      }
      response.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/json' }).end('{"success":true}');
      return true;
    }
    // The settings the snippet form fetches (npm users pass them inline).
    const settings = /^\/v1\/projects\/([^/]+)\/settings$/.exec(rest);
    if (settings && request.method === 'GET') {
      const host = request.headers.host ?? '127.0.0.1';
      response.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/json' }).end(JSON.stringify(localCdnSettings(host, settings[1])));
      return true;
    }
    if (rest === '/events' && request.method === 'GET') {
      response.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/json' }).end(JSON.stringify(events));
      return true;
    }
    // The CDN: the snippet's script, and the chunks it loads on demand.
    const script = /^\/analytics\.js\/v1\/[^/]+\/analytics(?:\.min)?\.js$/.test(rest);
    if (script && request.method === 'GET') {
      await sendFile(response, UMD, 'standalone.js', CORS_HEADERS);
      return true;
    }
    if (rest.startsWith('/analytics-next/bundles/') && request.method === 'GET') {
      await sendFile(response, UMD, rest.slice('/analytics-next/bundles/'.length), CORS_HEADERS);
      return true;
    }
    response.writeHead(404, CORS_HEADERS).end('not part of the local Segment endpoint');
    return true;
  }

  return { handle, events };
}
