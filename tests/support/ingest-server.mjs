// A local ingest endpoint for the wire tests, on 127.0.0.1, that fails on
// cue: queued faults apply to the next POSTs in order, then it recovers.
// It stores each chunk once per (replayId, seq), like the real collector,
// and remembers every request so tests can check headers and retries.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';

import { listen } from './static-server.mjs';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, Authorization',
  'Access-Control-Expose-Headers': 'Retry-After',
  'Access-Control-Max-Age': '600',
};

/**
 * Faults: 'reset' (connection destroyed), { hangMs } (no answer, then
 * destroyed), { status, retryAfter? } (answered with that status).
 */
export async function startIngestServer() {
  const faults = [];
  const requests = [];
  /** replayId -> Map(seq -> chunk JSON) */
  const replays = new Map();
  let duplicates = 0;
  let conflictingDuplicates = 0;

  const server = http.createServer((request, response) => {
    if (request.method === 'OPTIONS') {
      response.writeHead(204, CORS_HEADERS).end();
      return;
    }
    if (request.method !== 'POST' || !request.url.startsWith('/ingest')) {
      response.writeHead(404, CORS_HEADERS).end();
      return;
    }
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts);
      const entry = {
        headers: { ...request.headers },
        bytes: body.length,
        fault: faults.length ? faults.shift() : null,
        at: Date.now(),
      };
      requests.push(entry);
      const fault = entry.fault;
      if (fault === 'reset') {
        request.socket.destroy();
        return;
      }
      if (fault?.hangMs) {
        setTimeout(() => request.socket.destroy(), fault.hangMs);
        return;
      }
      if (fault?.status) {
        const headers = { ...CORS_HEADERS };
        if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
        response.writeHead(fault.status, headers).end();
        return;
      }
      let chunk;
      try {
        chunk = JSON.parse(gunzipSync(body).toString('utf8'));
      } catch (error) {
        entry.error = error.message;
        response.writeHead(400, CORS_HEADERS).end('not a gzip JSON chunk');
        return;
      }
      entry.replayId = chunk.replayId;
      entry.seq = chunk.seq;
      let chunks = replays.get(chunk.replayId);
      if (!chunks) replays.set(chunk.replayId, (chunks = new Map()));
      if (chunks.has(chunk.seq)) {
        duplicates += 1;
        if (JSON.stringify(chunks.get(chunk.seq)) !== JSON.stringify(chunk)) conflictingDuplicates += 1;
      } else {
        chunks.set(chunk.seq, chunk);
      }
      response.writeHead(200, CORS_HEADERS).end();
    });
  });
  const { origin, close } = await listen(server);

  return {
    origin,
    endpoint: `${origin}/ingest`,
    requests,
    replays,
    get duplicates() {
      return duplicates;
    },
    get conflictingDuplicates() {
      return conflictingDuplicates;
    },
    /** Queues faults for the next POSTs. */
    failNext(...next) {
      faults.push(...next);
    },
    /** The endpoint recovers: no more faults. */
    clearFaults() {
      faults.length = 0;
    },
    pendingFaults() {
      return faults.length;
    },
    /** The stored chunks of a replay, by seq. */
    chunksOf(replayId) {
      return [...(replays.get(replayId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    },
    /** Polls `predicate` every 50 ms until it holds or `timeoutMs` passes. */
    async waitFor(predicate, timeoutMs = 15000, what = 'the condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) {
          const log = requests.map((r) => `${r.replayId ?? '?'}#${r.seq ?? '?'}${r.fault ? ` ${JSON.stringify(r.fault)}` : ''}${r.error ? ` ${r.error}` : ''}`);
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; requests so far: ${log.join(', ') || 'none'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close,
  };
}
