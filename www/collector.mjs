// The reference collector: receives rewind's chunks (POST /ingest) and
// stores each once, as the gzip body it arrived in, under
//   <dataDir>/<deviceId>/<sessionId>/<seq>.json.gz
// with both ids encoded so that no id ('..' included) can leave dataDir,
// a layout that maps one to one onto an object store's keys. Beside the
// chunks, meta.json keeps what the replay list shows. GET /api/replays lists
// replays; GET /api/replays/<replayId> gives one replay's chunk list (gaps
// included); GET /api/replays/<replayId>/chunks/<seq> streams one chunk
// (still gzip: the player decompresses it in the browser). With read keys,
// the read API demands one of them: the ingest key ships in every recorded
// page, so it cannot protect what was recorded.
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, writeFile, link, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

import { ChunkSyntaxError, TOO_LARGE, scanChunk } from './chunk-scan.mjs';

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
  /**
   * Chunks inflated and read at once; the others wait their turn. Each may
   * hold maxInflatedBytes, so this bounds that memory (2 x 64 MiB).
   */
  maxConcurrentInflations: 2,
};

/** A replay lists at most this many missing seqs (`missingCount` has them all). */
const MAX_LISTED_MISSING = 1000;
/** A file name holds at most 255 bytes on the usual file systems. */
const MAX_SEGMENT_BYTES = 255;

/**
 * An id as a path segment: every character outside [A-Za-z0-9_-] is
 * percent-encoded, '.' included, so '..' becomes '%2E%2E' and no segment
 * is special to a file system or an object store. An encoding longer than
 * a file name may be (128 dots encode to 384 bytes) keeps its first 190
 * characters and ends with '~' and the id's SHA-256: '~' never appears in
 * an encoding, so such a name meets no other id's. Distinct ids, distinct
 * names.
 */
export function encodeSegment(id) {
  const encoded = id.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  if (encoded.length <= MAX_SEGMENT_BYTES) return encoded;
  return `${encoded.slice(0, 190)}~${createHash('sha256').update(id).digest('hex')}`;
}

class Refusal extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A value as an error message shows it: JSON, at most 80 characters. */
function shown(value) {
  if (value === TOO_LARGE) return 'a value over 64 KiB';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** The chunk's fields (read by scanChunk) checked; what is wrong says what is allowed. */
function validateChunk({ isObject, fields: chunk, eventsIsArray }, maxSeq) {
  if (!isObject) throw new Refusal(400, 'the body must be a JSON object (a rewind chunk)');
  for (const key of ['deviceId', 'sessionId']) {
    if (typeof chunk[key] !== 'string' || !ID.test(chunk[key])) {
      throw new Refusal(400, `${key} must be 1 to 128 of a-z A-Z 0-9 _ - . | @ : =, got ${shown(chunk[key])}`);
    }
  }
  if (chunk.replayId !== `${chunk.deviceId}/${chunk.sessionId}`) {
    throw new Refusal(400, 'replayId must be "<deviceId>/<sessionId>"');
  }
  if (!Number.isInteger(chunk.seq) || chunk.seq < 0 || chunk.seq > maxSeq) {
    throw new Refusal(400, `seq must be a whole number from 0 to ${maxSeq}, got ${shown(chunk.seq)}`);
  }
  if (!eventsIsArray) throw new Refusal(400, 'events must be an array');
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
    // The client went away (or sent less than its Content-Length): nobody
    // reads the answer, but the request ends here and its parts are freed.
    request.on('error', () => reject(new Refusal(400, 'the request ended before its body was complete')));
  });
}

/** Lets at most `limit` tasks run at once; the others wait, in order. */
function createGate(limit) {
  let running = 0;
  const waiting = [];
  return async function run(task) {
    if (running < limit) running += 1;
    // A finishing task hands its place over, so `running` never passes limit.
    else await new Promise((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

const digest = (text) => createHash('sha256').update(text).digest();

/**
 * Checks `Authorization: Bearer <key>` against a list of key digests. Every
 * key is compared, each in constant time over digests of equal length, so
 * the answer's timing says nothing about how close a guess came.
 * @returns {'missing' | 'wrong' | 'ok'}
 */
function checkBearer(request, keyDigests) {
  const header = request.headers.authorization ?? '';
  if (!/^bearer[ \t]/i.test(header)) return 'missing';
  const given = digest(header.slice(7).trim());
  let found = false;
  for (const key of keyDigests) found = timingSafeEqual(given, key) || found;
  return found ? 'ok' : 'wrong';
}

/** The decoded rest of a read path, or a 400 saying what is malformed. */
function decodePath(encoded) {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new Refusal(400, `the path holds a malformed percent-encoding (${shown(encoded)}): each % must start a %XX escape, and the escapes must spell UTF-8`);
  }
}

/**
 * The collector's request handler and its store.
 * @param {{ dataDir: string, apiKeys?: string[], readKeys?: string[], limits?: Partial<typeof DEFAULT_LIMITS> }} options
 *   `apiKeys`: one is demanded by POST /ingest (none: anyone may send);
 *   `readKeys`: one is demanded by the read API (none: anyone may read).
 */
export function createCollector({ dataDir, apiKeys = [], readKeys = [], limits = {} }) {
  const { maxBodyBytes, maxInflatedBytes, maxSeq, maxConcurrentInflations } = { ...DEFAULT_LIMITS, ...limits };
  const root = path.resolve(dataDir);
  const apiKeyDigests = apiKeys.map(digest);
  const readKeyDigests = readKeys.map(digest);
  const inflateGate = createGate(maxConcurrentInflations);
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

  /** Inflates a body and reads the chunk's fields, without building its events. */
  async function readChunk(body) {
    let inflated;
    try {
      inflated = await gunzip(body, { maxOutputLength: maxInflatedBytes });
    } catch (error) {
      if (error.code === 'ERR_BUFFER_TOO_LARGE') throw new Refusal(413, `the chunk inflates past ${maxInflatedBytes} bytes`);
      throw new Refusal(400, 'the body must be gzip (Content-Encoding: gzip)');
    }
    try {
      return scanChunk(inflated);
    } catch (error) {
      if (error instanceof ChunkSyntaxError) throw new Refusal(400, error.message);
      throw error;
    }
  }

  /** Stores a chunk once; resolves 'stored' or 'duplicate'. */
  async function store(body) {
    const scanned = await inflateGate(() => readChunk(body));
    validateChunk(scanned, maxSeq);
    const chunk = scanned.fields;
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
    // A user over 64 KiB is kept in the chunk, not in the replay list.
    const user = chunk.user === TOO_LARGE ? undefined : chunk.user;
    await updateSummary(dir, { ...chunk, user }, { errors: scanned.errors, logs: scanned.logs });
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
    // The gaps are walked between stored seqs, never seq by seq: one chunk
    // with seq 1,000,000,000 must not list a billion missing ones.
    const missing = [];
    let expected = 0;
    for (const seq of meta.seqs) {
      for (let gap = expected; gap < seq && missing.length < MAX_LISTED_MISSING; gap++) missing.push(gap);
      expected = seq + 1;
    }
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
      missingCount: (meta.seqs.at(-1) ?? -1) + 1 - meta.seqs.length,
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

  function answer(response, status, body, headers = {}) {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  /** Streams a stored chunk, still gzip; 404 when its file is gone. */
  async function sendChunk(response, dir, meta, seq) {
    let file;
    try {
      file = await open(path.join(dir, `${seq}.json.gz`));
    } catch {
      throw new Refusal(404, `chunk ${seq} of ${meta.replayId} is listed but its file is gone`);
    }
    try {
      const { size } = await file.stat();
      response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': size });
    } catch (error) {
      await file.close();
      throw error;
    }
    // A client gone mid-stream ends the response there; the stream closes the file.
    pipeline(file.createReadStream(), response, () => {});
  }

  /** Answers the read API, once the key (if any) is checked. */
  async function read(request, response, pathname) {
    if (readKeyDigests.length > 0) {
      const verdict = checkBearer(request, readKeyDigests);
      if (verdict !== 'ok') {
        throw new Refusal(
          401,
          verdict === 'missing'
            ? 'reading replays needs a read key: send Authorization: Bearer <key>, with one of the keys in REWIND_READ_KEYS'
            : 'that read key is not one of the keys in REWIND_READ_KEYS',
        );
      }
    }
    if (pathname === '/api/replays') {
      answer(response, 200, { replays: await listReplays() });
      return;
    }
    const rest = decodePath(pathname.slice('/api/replays/'.length));
    const chunkMatch = /^(.+)\/chunks\/(\d+)$/.exec(rest);
    if (chunkMatch) {
      const { dir, meta } = await readReplay(chunkMatch[1]);
      const seq = Number(chunkMatch[2]);
      if (!meta.seqs.includes(seq)) throw new Refusal(404, `replay ${meta.replayId} has no chunk ${seq}`);
      await sendChunk(response, dir, meta, seq);
      return;
    }
    const { meta } = await readReplay(rest);
    answer(response, 200, meta);
  }

  /** Handles collector routes; false for any other request. */
  async function handle(request, response) {
    let pathname;
    try {
      ({ pathname } = new URL(request.url, 'http://127.0.0.1'));
    } catch {
      // An absolute-form target with a bad host ('http://[x/'): not ours to answer.
      return false;
    }
    if (pathname !== '/ingest' && pathname !== '/api/replays' && !pathname.startsWith('/api/replays/')) return false;
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
        if (apiKeyDigests.length > 0 && checkBearer(request, apiKeyDigests) !== 'ok') {
          throw new Refusal(401, 'a valid API key is required (Authorization: Bearer <key>)');
        }
        const body = await readBody(request, maxBodyBytes);
        const outcome = await store(body);
        answer(response, outcome === 'stored' ? 201 : 200, { ok: true, outcome });
        return true;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new Refusal(405, 'the replay API is read-only (GET or HEAD)');
      await read(request, response, pathname);
      return true;
    } catch (error) {
      if (response.headersSent) {
        // Too late for another status: end the exchange.
        response.destroy();
      } else if (error instanceof Refusal) {
        if (error.status === 413) {
          // Do not read the rest of an oversized body.
          response.setHeader('Connection', 'close');
          response.on('finish', () => request.destroy());
        }
        answer(response, error.status, { ok: false, error: error.message }, error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      } else {
        console.error('[collector]', error);
        answer(response, 500, { ok: false, error: 'the collector failed to store or read the chunk' });
      }
      return true;
    }
  }

  /**
   * Whether `request` may read what this collector guards: true without
   * read keys, else when it carries one. For the server's other read
   * routes (the local Segment endpoint's event list).
   */
  function readAllowed(request) {
    return readKeyDigests.length === 0 || checkBearer(request, readKeyDigests) === 'ok';
  }

  return { handle, store, listReplays, readAllowed, dataDir: root };
}
