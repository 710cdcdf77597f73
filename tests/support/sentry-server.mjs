// A local Sentry endpoint for the Sentry tests, on 127.0.0.1: the DSN
// `http://key@127.0.0.1:PORT/<project>` of a page's Sentry client points
// here. It takes @sentry/browser's envelopes (`POST /api/<project>/envelope/`)
// and raven-js 3.x's store requests (`POST /api/<project>/store/`), answers
// CORS (the page is on another port), and remembers every event it got.
import http from 'node:http';

import { listen } from './static-server.mjs';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, X-Sentry-Auth',
  'Access-Control-Expose-Headers': 'X-Sentry-Rate-Limits, Retry-After',
  'Access-Control-Max-Age': '600',
};

/**
 * Splits an envelope (Sentry's format: a header line, then for each item a
 * header line and its payload, `length` bytes when the header says so, else
 * up to the next newline) into `{ header, items: [{ header, payload }] }`;
 * JSON payloads are parsed.
 */
export function parseEnvelope(body) {
  let offset = 0;
  const line = () => {
    let end = body.indexOf(0x0a, offset);
    if (end < 0) end = body.length;
    const text = body.subarray(offset, end).toString('utf8');
    offset = end + 1;
    return text;
  };
  const header = JSON.parse(line());
  const items = [];
  while (offset < body.length) {
    const text = line();
    if (text.trim() === '') continue;
    const itemHeader = JSON.parse(text);
    let raw;
    if (typeof itemHeader.length === 'number') {
      raw = body.subarray(offset, offset + itemHeader.length);
      offset += itemHeader.length + 1;
    } else {
      raw = Buffer.from(line(), 'utf8');
    }
    let payload = raw.toString('utf8');
    try {
      payload = JSON.parse(payload);
    } catch {
      // An attachment: kept as text.
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

/**
 * Starts the endpoint. `received` lists every request that reached an API
 * path: `{ kind: 'envelope' | 'store', project, query, envelope?, event?, at }`;
 * `events` the error and message events among them (envelope items of type
 * `event`, and raven's store bodies), each `{ kind, project, event, at }`.
 */
export async function startSentryServer() {
  const received = [];
  const events = [];
  const rejected = [];

  const server = http.createServer((request, response) => {
    if (request.method === 'OPTIONS') {
      response.writeHead(204, CORS_HEADERS).end();
      return;
    }
    let url;
    try {
      url = new URL(request.url, 'http://127.0.0.1');
    } catch {
      response.writeHead(400, CORS_HEADERS).end();
      return;
    }
    const match = /^\/api\/([^/]+)\/(envelope|store)\/$/.exec(url.pathname);
    if (request.method !== 'POST' || !match) {
      response.writeHead(404, CORS_HEADERS).end();
      return;
    }
    const [, project, kind] = match;
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts);
      const at = Date.now();
      const entry = { kind, project, query: Object.fromEntries(url.searchParams), at };
      try {
        if (kind === 'envelope') {
          entry.envelope = parseEnvelope(body);
          for (const item of entry.envelope.items) {
            if (item.header.type === 'event') events.push({ kind, project, event: item.payload, at });
          }
        } else {
          entry.event = JSON.parse(body.toString('utf8'));
          events.push({ kind, project, event: entry.event, at });
        }
      } catch (error) {
        rejected.push({ kind, error: error.message, body: body.toString('utf8').slice(0, 500) });
        response.writeHead(400, CORS_HEADERS).end(JSON.stringify({ detail: error.message }));
        return;
      }
      received.push(entry);
      const id = entry.event?.event_id ?? entry.envelope?.header?.event_id ?? null;
      response.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/json' }).end(JSON.stringify({ id }));
    });
  });
  const { origin, port, close } = await listen(server);

  return {
    origin,
    port,
    received,
    events,
    rejected,
    /** The DSN a page's Sentry (or Raven) client is given. */
    dsn(project = '1') {
      return `http://key@127.0.0.1:${port}/${project}`;
    },
    /** Forgets what was received (between tests). */
    clear() {
      received.length = 0;
      events.length = 0;
      rejected.length = 0;
    },
    /** Polls `predicate` every 50 ms until it holds or `timeoutMs` passes. */
    async waitFor(predicate, timeoutMs = 15000, what = 'the condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) {
          const seen = received.map((entry) => `${entry.kind}:${(entry.envelope?.items ?? [{ header: { type: 'store' } }]).map((item) => item.header.type).join('+')}`);
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received so far: ${seen.join(', ') || 'nothing'}${rejected.length ? `; rejected: ${JSON.stringify(rejected)}` : ''}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close,
  };
}
