// The reference collector: receives rewind's chunks (POST /ingest) and
// stores each once, as the gzip body it arrived in, under
//   <dataDir>/<deviceId>/<sessionId>/<seq>.json.gz
// with both ids encoded so that no id ('..' included) can leave dataDir,
// a layout that maps one to one onto an object store's keys. Beside the
// chunks, meta.json keeps what the replay list shows. GET /api/replays lists
// replays; GET /api/replays/<replayId> gives one replay's chunk list (gaps
// included); GET /api/replays/<replayId>/chunks/<seq> streams one chunk
// (still gzip: the player decompresses it in the browser).
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile, link, unlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);

/** Ids as rewind allows them: 1-128 of a-z A-Z 0-9 _ - . | @ : = */
const ID = /^[A-Za-z0-9_\-.|@:=]{1,128}$/;

export const DEFAULT_LIMITS = {
  /** A compressed body larger than this is refused with 413. */
  maxBodyBytes: 4 * 1024 * 1024,
  /** A body that inflates past this (a gzip bomb) is refused with 413. */
  maxInflatedBytes: 64 * 1024 * 1024,
  /** The highest seq accepted. */
  maxSeq: 1_000_000_000,
};

/**
 * An id as a path segment: every character outside [A-Za-z0-9_-] is
 * percent-encoded, '.' included, so '..' becomes '%2E%2E' and no segment
 * is special to a file system or an object store. Reversible.
 */
export function encodeSegment(id) {
  return id.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function decodeSegment(segment) {
  return decodeURIComponent(segment);
}

class Refusal extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The chunk's fields checked; what is wrong says what is allowed. */
function validateChunk(chunk, maxSeq) {
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
    throw new Refusal(400, 'the body must be a JSON object (a rewind chunk)');
  }
  for (const key of ['deviceId', 'sessionId']) {
    if (typeof chunk[key] !== 'string' || !ID.test(chunk[key])) {
      throw new Refusal(400, `${key} must be 1 to 128 of a-z A-Z 0-9 _ - . | @ : =, got ${JSON.stringify(chunk[key])}`);
    }
  }
  if (chunk.replayId !== `${chunk.deviceId}/${chunk.sessionId}`) {
    throw new Refusal(400, 'replayId must be "<deviceId>/<sessionId>"');
  }
  if (!Number.isInteger(chunk.seq) || chunk.seq < 0 || chunk.seq > maxSeq) {
    throw new Refusal(400, `seq must be a whole number from 0 to ${maxSeq}, got ${JSON.stringify(chunk.seq)}`);
  }
  if (!Array.isArray(chunk.events)) throw new Refusal(400, 'events must be an array');
  for (const key of ['startTimestamp', 'endTimestamp']) {
    if (typeof chunk[key] !== 'number' || !Number.isFinite(chunk[key])) {
      throw new Refusal(400, `${key} must be a number (epoch ms)`);
    }
  }
}

/** Reads a request body, refusing it (413) as soon as it passes `limit`. */
function readBody(request, limit) {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new Refusal(413, `the body is over ${limit} bytes`));
      return;
    }
    const parts = [];
    let size = 0;
    request.on('data', (part) => {
      size += part.length;
      if (size > limit) {
        reject(new Refusal(413, `the body is over ${limit} bytes`));
        request.pause();
        return;
      }
      parts.push(part);
    });
    request.on('end', () => resolve(Buffer.concat(parts)));
    request.on('error', reject);
  });
}

/** What a chunk adds to its replay's summary. */
function summarize(chunk) {
  let errors = 0;
  let logs = 0;
  for (const event of chunk.events) {
    if (event?.type === 6 && event.data?.plugin === 'rrweb/console@1' && event.data.payload?.level === 'error') errors += 1;
    if (event?.type === 5 && event.data?.tag === 'log') logs += 1;
  }
  return { errors, logs };
}

/**
 * The collector's request handler and its store.
 * @param {{ dataDir: string, apiKeys?: string[], limits?: Partial<typeof DEFAULT_LIMITS> }} options
 */
export function createCollector({ dataDir, apiKeys = [], limits = {} }) {
  const { maxBodyBytes, maxInflatedBytes, maxSeq } = { ...DEFAULT_LIMITS, ...limits };
  const root = path.resolve(dataDir);
  // One summary update at a time per replay (chunks of one replay may
  // arrive at once from a page and its retries).
  const summaryLocks = new Map();

  function replayDir(deviceId, sessionId) {
    const dir = path.join(root, encodeSegment(deviceId), encodeSegment(sessionId));
    // Belt and braces: the encoding cannot leave root, and this says so.
    if (!dir.startsWith(root + path.sep)) throw new Refusal(400, 'bad replay id');
    return dir;
  }

  async function updateSummary(dir, chunk, counts) {
    const previous = summaryLocks.get(dir) ?? Promise.resolve();
    const next = previous.then(async () => {
      const file = path.join(dir, 'meta.json');
      let meta;
      try {
        meta = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        meta = { replayId: chunk.replayId, deviceId: chunk.deviceId, sessionId: chunk.sessionId, seqs: [], errors: 0, logs: 0 };
      }
      if (!meta.seqs.includes(chunk.seq)) {
        meta.seqs.push(chunk.seq);
        meta.seqs.sort((a, b) => a - b);
        meta.errors += counts.errors;
        meta.logs += counts.logs;
        meta.start = Math.min(meta.start ?? Infinity, chunk.startTimestamp);
        meta.end = Math.max(meta.end ?? -Infinity, chunk.endTimestamp);
        if (chunk.user) meta.user = chunk.user;
        const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        await writeFile(temporary, JSON.stringify(meta));
        await rename(temporary, file);
      }
    });
    summaryLocks.set(dir, next.catch(() => {}));
    await next;
    if (summaryLocks.get(dir) === next) summaryLocks.delete(dir);
  }

  /** Stores a chunk once; resolves 'stored' or 'duplicate'. */
  async function store(body) {
    let inflated;
    try {
      inflated = await gunzip(body, { maxOutputLength: maxInflatedBytes });
    } catch (error) {
      if (error.code === 'ERR_BUFFER_TOO_LARGE') throw new Refusal(413, `the chunk inflates past ${maxInflatedBytes} bytes`);
      throw new Refusal(400, 'the body must be gzip (Content-Encoding: gzip)');
    }
    let chunk;
    try {
      chunk = JSON.parse(inflated.toString('utf8'));
    } catch {
      throw new Refusal(400, 'the chunk is not valid JSON');
    }
    validateChunk(chunk, maxSeq);
    const dir = replayDir(chunk.deviceId, chunk.sessionId);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${chunk.seq}.json.gz`);
    // Written aside, then linked into place: link fails if the seq is
    // already there, so concurrent and repeated uploads store it once.
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, body);
    try {
      await link(temporary, file);
    } catch (error) {
      if (error.code === 'EEXIST') return 'duplicate';
      throw error;
    } finally {
      await unlink(temporary).catch(() => {});
    }
    await updateSummary(dir, chunk, summarize(chunk));
    return 'stored';
  }

  async function listReplays() {
    const replays = [];
    let devices = [];
    try {
      devices = await readdir(root);
    } catch {
      return replays;
    }
    for (const device of devices) {
      let sessions = [];
      try {
        sessions = await readdir(path.join(root, device));
      } catch {
        continue;
      }
      for (const session of sessions) {
        try {
          const meta = JSON.parse(await readFile(path.join(root, device, session, 'meta.json'), 'utf8'));
          replays.push(describe(meta));
        } catch {
          // A replay whose first chunk is still being written.
        }
      }
    }
    return replays.sort((a, b) => b.start - a.start);
  }

  function describe(meta) {
    const last = meta.seqs.at(-1) ?? -1;
    const present = new Set(meta.seqs);
    const missing = [];
    for (let seq = 0; seq <= last; seq++) if (!present.has(seq)) missing.push(seq);
    return {
      replayId: meta.replayId,
      deviceId: meta.deviceId,
      sessionId: meta.sessionId,
      user: meta.user ?? null,
      start: meta.start,
      durationMs: meta.end - meta.start,
      chunks: meta.seqs.length,
      seqs: meta.seqs,
      missingSeqs: missing,
      errors: meta.errors,
      logs: meta.logs,
    };
  }

  async function readReplay(replayId) {
    const slash = replayId.indexOf('/');
    const deviceId = replayId.slice(0, slash);
    const sessionId = replayId.slice(slash + 1);
    if (slash < 0 || !ID.test(deviceId) || !ID.test(sessionId)) throw new Refusal(400, 'not a replay id');
    const dir = replayDir(deviceId, sessionId);
    try {
      return { dir, meta: describe(JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8'))) };
    } catch {
      throw new Refusal(404, `no replay ${replayId}`);
    }
  }

  function cors(request, response) {
    response.setHeader('Access-Control-Allow-Origin', request.headers.origin ?? '*');
    response.setHeader('Vary', 'Origin');
  }

  function answer(response, status, body) {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  /** Handles collector routes; false for any other request. */
  async function handle(request, response) {
    const { pathname } = new URL(request.url, 'http://127.0.0.1');
    if (pathname !== '/ingest' && !pathname.startsWith('/api/replays')) return false;
    cors(request, response);
    try {
      if (pathname === '/ingest') {
        if (request.method === 'OPTIONS') {
          response
            .writeHead(204, {
              'Access-Control-Allow-Methods': 'POST',
              'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, Authorization',
              'Access-Control-Max-Age': '86400',
            })
            .end();
          return true;
        }
        if (request.method !== 'POST') throw new Refusal(405, 'POST chunks to /ingest');
        if (apiKeys.length > 0) {
          const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
          if (!match || !apiKeys.includes(match[1])) throw new Refusal(401, 'a valid API key is required (Authorization: Bearer <key>)');
        }
        const body = await readBody(request, maxBodyBytes);
        const outcome = await store(body);
        answer(response, outcome === 'stored' ? 201 : 200, { ok: true, outcome });
        return true;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new Refusal(405, 'the replay API is read-only');
      if (pathname === '/api/replays') {
        answer(response, 200, { replays: await listReplays() });
        return true;
      }
      const rest = decodeURIComponent(pathname.slice('/api/replays/'.length));
      const chunkMatch = /^(.+)\/chunks\/(\d+)$/.exec(rest);
      if (chunkMatch) {
        const { dir, meta } = await readReplay(chunkMatch[1]);
        const seq = Number(chunkMatch[2]);
        if (!meta.seqs.includes(seq)) throw new Refusal(404, `replay ${meta.replayId} has no chunk ${seq}`);
        const file = path.join(dir, `${seq}.json.gz`);
        const size = await stat(file).then(
          (found) => found.size,
          () => {
            throw new Refusal(404, `chunk ${seq} of ${meta.replayId} is listed but its file is gone`);
          },
        );
        response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': size });
        createReadStream(file).pipe(response);
        return true;
      }
      const { meta } = await readReplay(rest);
      answer(response, 200, meta);
      return true;
    } catch (error) {
      if (error instanceof Refusal && error.status === 413) {
        // Do not read the rest of an oversized body.
        response.setHeader('Connection', 'close');
        response.on('finish', () => request.destroy());
      }
      if (error instanceof Refusal) answer(response, error.status, { ok: false, error: error.message });
      else answer(response, 500, { ok: false, error: 'the collector failed to store or read the chunk' });
      if (!(error instanceof Refusal)) console.error('[collector]', error);
      return true;
    }
  }

  return { handle, store, listReplays, dataDir: root };
}
