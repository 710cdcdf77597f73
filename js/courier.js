// The courier: delivers the outbox's chunks, oldest first per replay, one
// request at a time, retrying with backoff, until the outbox is empty.
//
// It is page-wide and outlives recordings: it first drains what earlier
// page loads left in the outbox (each record carries its endpoint and key,
// so no start() is needed), and it keeps delivering after stop().
//
// It is JS, not part of the wasm: it is IndexedDB, fetch, localStorage and
// timers from end to end, which as web-sys calls cost the module about 30
// KB, and a page that only has earlier chunks to deliver does so without
// fetching or compiling the wasm. The wasm hands it each sealed chunk
// (src/web/courier.rs). This file imports nothing, so the wasm's browser
// tests can load it as it is.

const DATABASE_NAME = 'rewind';
const DATABASE_VERSION = 1;
const STORE_NAME = 'outbox';
export const PARKED_KEY_PREFIX = 'rewind:parked:';
// First line of a parked chunk's text, naming its format.
const PARKED_FORMAT = 'rewind-parked-1';
// The largest body parked in localStorage (before base64): the origin's
// localStorage is small (about 5 MiB) and shared with the site itself.
export const MAX_PARKED_BODY_BYTES = 256 * 1024;
// Browsers refuse keepalive requests whose bodies, together with the other
// keepalive requests in flight, pass 64 KiB; stay under it with room for
// headers.
export const KEEPALIVE_BODY_LIMIT = 60 * 1024;
// The outbox's caps (start()'s maxOutboxBytes and maxOutboxAgeMs): 20 MiB
// compressed, and a week, enough to outlast a weekend offline, not so long
// that stale data piles up.
export const DEFAULT_LIMITS = { maxBytes: 20 * 1024 * 1024, maxAgeMs: 7 * 24 * 60 * 60 * 1000 };
export const DEFAULT_REQUEST_TIMEOUT_MS = 30000;
// Retries: exponential from 1 s up to a minute, jittered; a Retry-After
// the endpoint sends is followed, up to ten minutes.
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60000;
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

// ---- Decisions (pure; tests/e2e/courier.test.mjs) ----

/** The pause before retry number `failures` (1 for the first), jittered by `randomUnit` in [0, 1]. */
export function backoffDelay(failures, randomUnit) {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const step = Math.min(BACKOFF_BASE_MS * 2 ** exponent, BACKOFF_MAX_MS);
  return step / 2 + (Math.min(Math.max(randomUnit, 0), 1) * step) / 2;
}

/**
 * What to do after an attempt: `{ delivered: true }`, `{ retryMs }`, or
 * `{ rejected: status }` (a 4xx other than 408 and 429 is a misconfigured
 * endpoint or key: retrying would not help). `attempt` is `{ status,
 * retryAfter }` for an answer, or `{ failed: 'network error' | 'timed out' }`.
 */
export function judge(attempt, failures, randomUnit, nowMs) {
  const { status } = attempt;
  if (status === undefined || status >= 500 || status === 408 || status === 429) {
    const waited = status === 429 || status === 503 || status === 408 ? parseRetryAfter(attempt.retryAfter, nowMs) : null;
    return { retryMs: waited === null ? backoffDelay(failures, randomUnit) : Math.min(waited, MAX_RETRY_AFTER_MS) };
  }
  if (status >= 200 && status < 300) return { delivered: true };
  return { rejected: status };
}

/** An attempt for the debug log: "HTTP 503", "network error", "timed out". */
function describeAttempt(attempt) {
  return attempt.status === undefined ? attempt.failed : `HTTP ${attempt.status}`;
}

/**
 * A Retry-After value in ms from now: delay-seconds or an HTTP date
 * (IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"); null for anything
 * else, so backoff applies.
 */
export function parseRetryAfter(value, nowMs) {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\+?[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = IMF_FIXDATE.exec(text);
  const month = date ? MONTHS.indexOf(date[2]) : -1;
  // (-1 % 3 is -1: no date, or a month not in the list.)
  if (month % 3) return null;
  const [, day, , year, hours, minutes, seconds] = date;
  // (Date.UTC reads a year below 100 as 19xx: such a date is long past
  // either way, and the wait 0.)
  const at = Date.UTC(year, month / 3, day, hours, minutes, seconds);
  return Math.max(at - nowMs, 0);
}

// An HTTP date's one current form; a day past its month's end (31 Feb)
// counts on into the next, as Date.UTC does.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, (0[1-9]|[12]\d|3[01]) ([A-Z][a-z]{2}) (\d{4}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60) GMT$/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/**
 * Indices into `entries` ({ bytes, createdAt }) of the chunks to drop: all
 * older than the age cap, then the oldest until the rest fits the size
 * cap, so what is kept is a contiguous recent stretch of each replay.
 */
export function chunksToEvict(entries, nowMs, limits) {
  // Array.prototype.sort is stable: equal times keep their stored order.
  const order = entries.map((_, index) => index).sort((a, b) => entries[a].createdAt - entries[b].createdAt);
  let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  const evicted = [];
  for (const index of order) {
    const entry = entries[index];
    if (nowMs - entry.createdAt > limits.maxAgeMs || total > limits.maxBytes) {
      total -= entry.bytes;
      evicted.push(index);
    }
  }
  return evicted;
}

/**
 * A chunk parked in localStorage on pagehide: the one storage write that
 * completes synchronously, so the last chunk of a closing tab survives even
 * when its IndexedDB write does not finish. One field a line (none can
 * hold a line break: ids are restricted, the endpoint is a resolved URL,
 * the key printable ASCII), the body in base64.
 */
export function parkedText(record) {
  let binary = '';
  for (let at = 0; at < record.body.length; at += 0x8000) {
    binary += String.fromCharCode.apply(null, record.body.subarray(at, at + 0x8000));
  }
  return [PARKED_FORMAT, record.replayId, record.seq, record.endpoint, record.apiKey ?? '', Math.floor(Math.max(record.createdAt, 0)), btoa(binary)].join('\n');
}

/** Reads parkedText() back; null for anything else. */
export function readParked(text) {
  const lines = String(text).split('\n');
  const [format, replayId, seq, endpoint, apiKey, createdAt, base64] = lines;
  if (lines.length !== 7 || format !== PARKED_FORMAT || !replayId || !endpoint) return null;
  if (!/^\+?[0-9]+$/.test(seq) || !/^\+?[0-9]+$/.test(createdAt)) return null;
  // Strict: atob alone would also take whitespace and missing padding.
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return null;
  let binary;
  try {
    binary = atob(base64);
  } catch (error) {
    return null;
  }
  const body = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) body[index] = binary.charCodeAt(index);
  const record = { replayId, seq: Number(seq), endpoint, body, createdAt: Number(createdAt) };
  if (apiKey) record.apiKey = apiKey;
  return record;
}

// ---- Where chunks wait ----

const keyOf = (replayId, seq) => `${replayId}#${seq}`;
const sameKey = (record, replayId, seq) => record.replayId === replayId && record.seq === seq;

/** IndexedDB reports through events; each request becomes a Promise. */
function requestDone(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// A write counts as stored only once its transaction has committed: the
// request's success event fires before the commit, and a tab closed between
// the two loses the write. The closing tab's parked copy in localStorage is
// removed only after this resolves, so a chunk is always in one or the other.
function writeCommitted(request) {
  return new Promise((resolve, reject) => {
    const transaction = request.transaction;
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error || request.error || new Error('the outbox transaction was aborted'));
  });
}

/** The outbox in IndexedDB: it survives the page. */
class DatabaseOutbox {
  constructor(database) {
    this.database = database;
    this.persistent = true;
  }

  store(mode) {
    return this.database.transaction(STORE_NAME, mode).objectStore(STORE_NAME);
  }

  /** Stores `record`, replacing one with the same replay id and seq; resolves once committed. */
  async put(record) {
    const { replayId, seq, endpoint, apiKey, body, createdAt } = record;
    const stored = { replayId, seq, endpoint, body, createdAt };
    if (apiKey !== undefined) stored.apiKey = apiKey;
    await writeCommitted(this.store('readwrite').put(stored));
  }

  async delete(replayId, seq) {
    await writeCommitted(this.store('readwrite').delete([replayId, seq]));
  }

  /** The first chunk in (replay id, seq) order: per replay, the oldest. */
  async first() {
    const cursor = await requestDone(this.store('readonly').openCursor());
    return cursor ? readStored(cursor.value) : null;
  }

  async all() {
    const values = await requestDone(this.store('readonly').getAll());
    return values.map(readStored).filter(Boolean);
  }

  inMemory() {
    return [];
  }
}

/** A stored value as a record, or null if it is not one (a foreign write). */
function readStored(value) {
  const valid =
    value &&
    typeof value.replayId === 'string' &&
    typeof value.seq === 'number' &&
    typeof value.endpoint === 'string' &&
    value.body instanceof Uint8Array &&
    typeof value.createdAt === 'number';
  return valid ? value : null;
}

/** The outbox in memory, where IndexedDB is missing or refuses (private modes, sandboxed frames). */
class MemoryOutbox {
  constructor() {
    this.records = [];
    this.persistent = false;
  }

  async put(record) {
    this.records = this.records.filter((stored) => !sameKey(stored, record.replayId, record.seq));
    this.records.push(record);
  }

  async delete(replayId, seq) {
    this.records = this.records.filter((stored) => !sameKey(stored, replayId, seq));
  }

  async first() {
    let first = null;
    for (const record of this.records) {
      if (!first || record.replayId < first.replayId || (record.replayId === first.replayId && record.seq < first.seq)) first = record;
    }
    return first;
  }

  async all() {
    return this.records.slice();
  }

  inMemory() {
    return this.records;
  }
}

function describeError(error) {
  try {
    return String(error?.message ?? error);
  } catch (failure) {
    return 'unknown error';
  }
}

/** Opens the IndexedDB outbox; rejects with why it cannot be used. */
function openDatabase() {
  let factory;
  try {
    // Reading `indexedDB` itself throws in some sandboxed frames.
    factory = globalThis.indexedDB;
  } catch (error) {
    return Promise.reject(new Error('indexedDB is not accessible'));
  }
  if (!factory) return Promise.reject(new Error('this browser has no indexedDB'));
  return new Promise((resolve, reject) => {
    const failed = (error) => reject(new Error(`indexedDB could not be opened: ${describeError(error)}`));
    try {
      const request = factory.open(DATABASE_NAME, DATABASE_VERSION);
      request.onupgradeneeded = () => {
        const database = request.result;
        if (!database.objectStoreNames.contains(STORE_NAME)) database.createObjectStore(STORE_NAME, { keyPath: ['replayId', 'seq'] });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => failed(request.error);
      request.onblocked = () => failed(new Error('the outbox database is blocked by another tab'));
    } catch (error) {
      failed(error);
    }
  });
}

// ---- Parking: localStorage, on pagehide ----

function localStorageOrNull() {
  try {
    return globalThis.localStorage ?? null;
  } catch (error) {
    return null;
  }
}

const parkedKey = (replayId, seq) => `${PARKED_KEY_PREFIX}${replayId}#${seq}`;

/** Parks `record` synchronously; false when it is too large or localStorage is full or missing. */
function park(record) {
  const storage = localStorageOrNull();
  if (!storage || record.body.length > MAX_PARKED_BODY_BYTES) return false;
  try {
    storage.setItem(parkedKey(record.replayId, record.seq), parkedText(record));
    return true;
  } catch (error) {
    return false;
  }
}

/** Forgets a parked chunk once the outbox holds it or it was delivered. */
function unpark(replayId, seq) {
  try {
    localStorageOrNull()?.removeItem(parkedKey(replayId, seq));
  } catch (error) {
    // Blocked storage: nothing was parked there.
  }
}

/** Every parked chunk; unreadable entries are removed. */
function parkedRecords() {
  const storage = localStorageOrNull();
  const records = [];
  try {
    const keys = [];
    for (let index = 0; index < (storage?.length ?? 0); index += 1) {
      const key = storage.key(index);
      if (key?.startsWith(PARKED_KEY_PREFIX)) keys.push(key);
    }
    for (const key of keys) {
      const record = readParked(storage.getItem(key));
      if (record) records.push(record);
      else storage.removeItem(key);
    }
  } catch (error) {
    // Storage that throws holds nothing this page can read.
  }
  return records;
}

/**
 * Whether chunks earlier page loads left wait for delivery: a parked chunk
 * in localStorage or a record in the IndexedDB outbox (the courier's
 * database). Resolves true when it cannot tell, so nothing is left behind.
 */
export function hasUndelivered() {
  try {
    const local = localStorageOrNull();
    for (let index = 0; index < (local?.length ?? 0); index += 1) {
      if (local.key(index)?.startsWith(PARKED_KEY_PREFIX)) return Promise.resolve(true);
    }
    const factory = globalThis.indexedDB;
    if (!factory) return Promise.resolve(false);
    // Listing first opens nothing (WebKit keeps an empty database behind
    // even after an aborted upgrade).
    const listed =
      typeof factory.databases === 'function'
        ? factory.databases().then((databases) => databases.some((db) => db.name === DATABASE_NAME), () => true)
        : Promise.resolve(true);
    return listed.then((exists) => exists && outboxHasRecords(factory));
  } catch (error) {
    return Promise.resolve(true);
  }
}

/** Whether the outbox store holds a record; true when it cannot tell. */
function outboxHasRecords(factory) {
  try {
    return new Promise((resolve) => {
      const request = factory.open(DATABASE_NAME, DATABASE_VERSION);
      // No database yet (a browser without databases()): nothing was ever
      // stored. The aborted upgrade keeps the version at 0, so the
      // courier's own open still upgrades it into its schema.
      request.onupgradeneeded = () => request.transaction.abort();
      request.onerror = (event) => {
        event.preventDefault?.();
        resolve(request.error?.name !== 'AbortError');
      };
      request.onblocked = () => resolve(true);
      request.onsuccess = () => {
        const db = request.result;
        try {
          const count = db.transaction(STORE_NAME, 'readonly').objectStore(STORE_NAME).count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result > 0);
          };
          count.onerror = () => {
            db.close();
            resolve(true);
          };
        } catch (error) {
          db.close();
          resolve(true);
        }
      };
    });
  } catch (error) {
    return Promise.resolve(true);
  }
}

// ---- Sending ----

/**
 * Starts `POST {endpoint}` with the gzip body now, synchronously (on
 * pagehide the page may be gone before any later task runs), as a plain
 * CORS request with only the headers the ingest contract names; resolves
 * with the attempt, after at most `timeoutMs`.
 */
export function send(record, timeoutMs, keepalive) {
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller?.abort();
  }, timeoutMs);
  const headers = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };
  if (record.apiKey !== undefined) headers.Authorization = `Bearer ${record.apiKey}`;
  let response;
  try {
    response = fetch(record.endpoint, {
      method: 'POST',
      headers,
      body: record.body,
      keepalive,
      // No cookies: the ingest endpoint authenticates with the API key.
      credentials: 'omit',
      signal: controller?.signal,
    });
  } catch (error) {
    response = Promise.reject(error);
  }
  return response.then(
    // Retry-After is readable cross-origin only when the endpoint lists it
    // in Access-Control-Expose-Headers; without it, backoff applies.
    (answer) => ({ status: answer.status, retryAfter: answer.headers.get('Retry-After') }),
    () => ({ failed: timedOut ? 'timed out' : 'network error' }),
  ).finally(() => clearTimeout(timer));
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- The courier ----

export class Courier {
  /**
   * `compressor` (js/compressor.js) compresses chunks the recording sealed
   * plain, and its worker sends large bodies; without one, every chunk
   * comes compressed and is sent from here.
   */
  constructor(compressor = null) {
    this.compressor = compressor;
    if (compressor) {
      compressor.report = (message) => this.info(message);
      // Its worker sends the bodies keepalive cannot take (see
      // deliverUntilEmpty) with this same function.
      compressor.send = send;
    }
    // Chunks sealed plain, in store order, from the call that hands them
    // over until the outbox holds them: { record, plain, ready }, where
    // `ready` resolves once this one and every earlier one is compressed.
    this.compressing = [];
    // Parts of chunks being written plain, by key, in order (appendPart).
    this.parts = new Map();
    // The closing tab's last chunk, compressed on pagehide for its
    // keepalive request: store() then uses it rather than compress again.
    this.compressedOnHide = null;
    this.onPageHide = () => this.compressAndParkNow();
    /** The outbox once open; records stored before then wait in `waiting`. */
    this.outbox = null;
    this.waiting = [];
    // What the outbox holds ({ replayId, seq, bytes, createdAt }), kept in
    // memory so caps and the pagehide decision need no storage read.
    this.inventory = [];
    this.running = false;
    // Set when a chunk arrives while the loop runs, so it looks again
    // before it goes idle.
    this.hasNews = false;
    this.inFlight = null;
    // Chunks sent with keepalive on pagehide whose answer is pending; the
    // loop waits for them rather than send them twice.
    this.sentBeforeUnload = new Set();
    // Chunks parked as the page hid or closed: their parked copy stays
    // until they are delivered, even once the outbox holds them, because
    // it is what tells the site's other tabs (through the `storage` event)
    // that a closing tab left chunks to deliver.
    this.parkedOnHide = new Set();
    this.limits = DEFAULT_LIMITS;
    this.timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
    this.debug = false;
    this.rejectionReported = false;
    this.droppedChunks = 0;
    // Why the outbox lives in memory, repeated when `debug` is turned on
    // after the courier opened it.
    this.memoryReason = null;
    this.deliveredListener = null;
    this.opened = openDatabase().then(
      (database) => new DatabaseOutbox(database),
      (error) => {
        this.memoryReason = `outbox kept in memory: ${describeError(error)}`;
        this.info(this.memoryReason);
        return new MemoryOutbox();
      },
    ).then((outbox) => this.install(outbox));
  }

  info(message) {
    if (this.debug) console.log(`[rewind] ${message}`);
  }

  warn(message) {
    if (this.debug) console.warn(`[rewind] ${message}`);
  }

  /** Settings from the latest start() (the wasm calls it); 0 or less keeps a default. */
  configure(maxBytes, maxAgeMs, timeoutMs, debug) {
    this.limits = { maxBytes: maxBytes > 0 ? maxBytes : DEFAULT_LIMITS.maxBytes, maxAgeMs: maxAgeMs > 0 ? maxAgeMs : DEFAULT_LIMITS.maxAgeMs };
    this.timeoutMs = timeoutMs > 0 ? timeoutMs : DEFAULT_REQUEST_TIMEOUT_MS;
    this.debug = Boolean(debug);
    if (this.memoryReason) this.info(this.memoryReason);
  }

  /** How many chunks wait in the outbox or to be compressed for it (delivered ones are removed). */
  pendingChunks() {
    return this.inventory.length + this.compressing.length;
  }

  /** Whether chunks sealed plain are compressed off the main thread (the wasm asks). */
  compressesOffThread() {
    return Boolean(this.compressor?.offThread());
  }

  /** Whether the outbox survives the page (IndexedDB) or lives in memory. */
  isPersistent() {
    return Boolean(this.outbox?.persistent);
  }

  /** Calls `listener(replayId, seq)` each time the endpoint accepts a chunk; a later call replaces it. */
  onDelivered(listener) {
    this.deliveredListener = listener;
  }

  /** Resolves with true once the outbox is empty, or with false after `timeoutMs`. */
  async whenEmpty(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!(this.outbox && this.inventory.length === 0 && this.compressing.length === 0 && !this.running)) {
      if (Date.now() >= deadline) return false;
      await pause(20);
    }
    return true;
  }

  async install(outbox) {
    try {
      const records = await outbox.all();
      if (records.length > 0) this.info(`${records.length} chunks from earlier pages wait in the outbox`);
      for (const record of records) this.noteStored(record);
    } catch (error) {
      this.warn(`outbox could not be read: ${describeError(error)}`);
    }
    // Chunks a closing tab parked move into the outbox first.
    const parked = parkedRecords();
    if (parked.length > 0) this.info(`${parked.length} chunks parked by a closed tab move to the outbox`);
    for (const record of parked) await this.put(outbox, record);
    // Records stored while the outbox opened go in before it is published,
    // so the loop never sees a later seq before an earlier.
    while (this.waiting.length > 0) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const record of waiting) await this.put(outbox, record);
    }
    this.outbox = outbox;
    await this.enforceLimits(outbox);
    this.wake();
  }

  /** Moves chunks other tabs parked into the outbox and delivers them. */
  async importParked() {
    const outbox = this.outbox;
    // Still opening: install() imports parked chunks itself.
    if (!outbox) return;
    for (const record of parkedRecords()) await this.put(outbox, record);
    this.wake();
  }

  /**
   * Stores a sealed chunk (the wasm calls it) and makes sure the loop
   * delivers it; resolves once the chunk is in the outbox. Never rejects.
   * Its write starts now, or with `compressed` false (a chunk sealed
   * plain) once it is compressed; either way after the writes of the
   * chunks handed over before it: the wasm hands over several chunks
   * without waiting, and IndexedDB runs the writes in the order they
   * started.
   */
  async store(replayId, seq, endpoint, apiKey, body, createdAt, compressed = true) {
    const key = keyOf(replayId, seq);
    let whole = this.wholeBody(key, body, true);
    if (compressed === false && this.compressedOnHide?.key === key) {
      whole = this.compressedOnHide.body;
      compressed = true;
    }
    this.compressedOnHide = null;
    const record = chunkRecord(replayId, seq, endpoint, apiKey, whole, createdAt);
    const earlier = this.compressing[this.compressing.length - 1];
    if (compressed === false || earlier) {
      const entry = { record, plain: compressed === false, parked: false, ready: null };
      const own = entry.plain
        ? this.compressor.compress(record.body).then(
            (gzip) => this.compressed(entry, gzip),
            (error) => {
              // Only a broken module (rewind has then stopped) fails here.
              entry.plain = false;
              entry.lost = true;
              console.warn(`[rewind] chunk ${keyOf(replayId, seq)} could not be compressed (${describeError(error)}); it is dropped`);
            },
          )
        : null;
      entry.ready = Promise.all([own, earlier?.ready]);
      if (this.compressing.push(entry) === 1) globalThis.addEventListener?.('pagehide', this.onPageHide, true);
      await entry.ready;
      try {
        if (!entry.lost) await this.storeCompressed(record);
      } finally {
        this.compressing.splice(this.compressing.indexOf(entry), 1);
        if (this.compressing.length === 0) globalThis.removeEventListener?.('pagehide', this.onPageHide, true);
      }
      return;
    }
    await this.storeCompressed(record);
  }

  /** Keeps a part of a chunk being written plain (the wasm hands it over as the chunk grows). */
  appendPart(replayId, seq, part) {
    const key = keyOf(replayId, seq);
    const parts = this.parts.get(key) ?? [];
    // The wasm lends a view of its memory: copied at once.
    parts.push(part.slice());
    this.parts.set(key, parts);
  }

  /**
   * A sealed chunk's whole body: the parts handed over while it was written
   * plain, then `body`, copied (the wasm lends a view of its memory). The
   * parts are forgotten with `forget`.
   */
  wholeBody(key, body, forget) {
    const parts = this.parts.get(key);
    if (!parts) return body.slice();
    if (forget) this.parts.delete(key);
    let length = body.length;
    for (const part of parts) length += part.length;
    const whole = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.length;
    }
    whole.set(body, at);
    return whole;
  }

  /** The gzip of a chunk sealed plain, unless it was compressed at once on pagehide. */
  compressed(entry, gzip) {
    if (!entry.plain) return;
    entry.plain = false;
    entry.record.body = gzip;
  }

  /**
   * On pagehide, with chunks not yet in the outbox because they wait for
   * their compression (or for an earlier one's): each is compressed now,
   * on this thread, and parked, so a closing tab loses none of them.
   */
  compressAndParkNow() {
    if (this.compressing.length === 0) return;
    try {
      // (What the worker sends back later is then ignored.)
      for (const entry of this.compressing) {
        if (entry.plain) this.compressed(entry, this.compressor.compressNow(entry.record.body));
        if (!entry.parked && !entry.lost && park(entry.record)) {
          entry.parked = true;
          this.parkedOnHide.add(keyOf(entry.record.replayId, entry.record.seq));
        }
      }
    } catch (error) {
      // A broken module: what it could not compress is reported by store().
    }
  }

  async storeCompressed(record) {
    const outbox = this.outbox;
    if (!outbox) {
      this.waiting.push(record);
      return;
    }
    await this.put(outbox, record);
    await this.enforceLimits(outbox);
    this.wake();
  }

  async put(outbox, record) {
    try {
      await outbox.put(record);
      if (outbox.persistent && !this.parkedOnHide.has(keyOf(record.replayId, record.seq))) unpark(record.replayId, record.seq);
    } catch (error) {
      // IndexedDB refused or aborted the write (quota, a closing database):
      // keep the chunk in memory rather than lose it, and parked, so that
      // it outlives this page too.
      this.warn(`outbox refused a chunk (${describeError(error)}); it is kept in memory`);
      park(record);
      const fallback = new MemoryOutbox();
      await fallback.put(record);
      this.outbox = fallback;
    }
    this.noteStored(record);
  }

  noteStored({ replayId, seq, body, createdAt }) {
    this.noteRemoved(replayId, seq);
    this.inventory.push({ replayId, seq, bytes: body.length, createdAt });
  }

  noteRemoved(replayId, seq) {
    this.inventory = this.inventory.filter((entry) => !sameKey(entry, replayId, seq));
  }

  /** Drops the oldest chunks past the size or age cap, and says so. */
  async enforceLimits(outbox) {
    const entries = this.inventory.slice();
    const evicted = chunksToEvict(entries, Date.now(), this.limits);
    if (evicted.length === 0) return;
    for (const index of evicted) {
      const { replayId, seq } = entries[index];
      try {
        await outbox.delete(replayId, seq);
        this.noteRemoved(replayId, seq);
      } catch (error) {
        // Still stored: counted again at the next check.
      }
    }
    this.droppedChunks += evicted.length;
    this.warn(`outbox over its caps: dropped ${evicted.length} oldest chunks (${this.droppedChunks} in all since this page loaded)`);
  }

  /** Starts the delivery loop unless it runs. */
  wake() {
    if (this.running) {
      this.hasNews = true;
      return;
    }
    if (!this.outbox) return;
    this.running = true;
    this.deliverAll();
  }

  async deliverAll() {
    try {
      await this.deliverUntilEmpty();
    } finally {
      // In the same turn as the loop's last look, so a chunk stored after
      // it wakes a new loop.
      this.running = false;
    }
  }

  async deliverUntilEmpty() {
    let failures = 0;
    for (;;) {
      const outbox = this.outbox;
      let record;
      try {
        record = await outbox.first();
      } catch (error) {
        this.warn(`outbox could not be read: ${describeError(error)}`);
        return;
      }
      if (!record) {
        if (this.hasNews) {
          this.hasNews = false;
          continue;
        }
        return;
      }
      const key = keyOf(record.replayId, record.seq);
      if (this.sentBeforeUnload.has(key)) {
        await pause(50);
        continue;
      }
      this.inFlight = key;
      // keepalive lets a small request finish even if the page closes
      // while it is in flight. A larger body goes from the compressor's
      // worker when one runs: fetch copies a body on the thread that calls
      // it (in Chromium 1 to 2 ms for a 90 KiB chunk, 10 for 1 MiB, all
      // main-thread time), and without keepalive the request ends with the
      // page wherever it started.
      const keepalive = record.body.length <= KEEPALIVE_BODY_LIMIT;
      const attempt = await ((!keepalive && this.compressor?.sendOffThread(record, this.timeoutMs)) ||
        send(record, this.timeoutMs, keepalive));
      this.inFlight = null;
      const verdict = judge(attempt, failures + 1, Math.random(), Date.now());
      if (verdict.delivered) {
        failures = 0;
        await this.remove(outbox, record);
        this.info(`delivered ${key}`);
        this.tellDelivered(record);
      } else if (verdict.rejected) {
        failures = 0;
        await this.remove(outbox, record);
        this.reportRejection(verdict.rejected, record.endpoint);
      } else {
        failures += 1;
        this.info(`${key} not delivered (${describeAttempt(attempt)}); retry in ${Math.floor(verdict.retryMs)} ms`);
        await pause(verdict.retryMs);
      }
    }
  }

  async remove(outbox, { replayId, seq }) {
    unpark(replayId, seq);
    this.parkedOnHide.delete(keyOf(replayId, seq));
    try {
      await outbox.delete(replayId, seq);
    } catch (error) {
      this.warn(`delivered chunk could not be removed: ${describeError(error)}`);
    }
    this.noteRemoved(replayId, seq);
  }

  tellDelivered({ replayId, seq }) {
    try {
      this.deliveredListener?.(replayId, seq);
    } catch (error) {
      // The listener is rewind's own; what it throws never stops delivery.
    }
  }

  /**
   * A refused chunk means a misconfigured endpoint or key: said once, even
   * without `debug`, since the data is gone.
   */
  reportRejection(status, endpoint) {
    if (this.rejectionReported) return;
    this.rejectionReported = true;
    console.warn(
      `[rewind] ${endpoint} refused a chunk with HTTP ${status}; it is dropped, not retried (check the endpoint and apiKey). Further refusals are not reported.`,
    );
  }

  /**
   * On pagehide (the wasm calls it): sends the chunk at once with keepalive
   * if that keeps the replay in order (nothing older of it waits, other
   * than a keepalive request already in flight) and the body fits
   * keepalive's limit, and parks it in localStorage in any case, for when
   * the request does not arrive; the outbox then delivers it on a later
   * page load. Returns whether it was sent.
   */
  sendBeforeUnload(replayId, seq, endpoint, apiKey, body, createdAt, compressed = true) {
    const key = keyOf(replayId, seq);
    let whole = this.wholeBody(key, body, false);
    if (compressed === false) {
      // Sealed plain: compressed here and now, since the page is going.
      try {
        whole = this.compressor.compressNow(whole);
      } catch (error) {
        // A broken module: store() reports the chunk it cannot compress.
        return false;
      }
      this.compressedOnHide = { key, body: whole };
    }
    const record = chunkRecord(replayId, seq, endpoint, apiKey, whole, createdAt);
    const olderWaiting =
      this.inventory.some(
        (entry) => entry.replayId === replayId && entry.seq < seq && keyOf(entry.replayId, entry.seq) !== this.inFlight,
      ) || this.compressing.some(({ record: older }) => older.replayId === replayId && older.seq < seq);
    const sendable = record.body.length <= KEEPALIVE_BODY_LIMIT && !olderWaiting;
    // The request starts before the parking: Firefox sometimes ends a
    // closing tab's script part way through its pagehide work (probes in
    // a closing tab, December 3: of 4 lost chunks in 70 closes, 2 stopped
    // after the chunk was parked and before its request started), and a
    // keepalive request once started outlives the page.
    const sending = sendable ? send(record, this.timeoutMs, true) : null;
    if (sending) this.sentBeforeUnload.add(key);
    // Synchronous, so it survives the page even if the request fails and
    // the outbox write started next does not finish.
    if (park(record)) this.parkedOnHide.add(key);
    // An outbox in memory dies with the page: what it still holds (and
    // what waits for the outbox to open) is parked too, for the site's
    // next page load or another tab.
    for (const waiting of this.outbox ? this.outbox.inMemory() : this.waiting) park(waiting);
    // And so are the chunks still to be compressed.
    this.compressAndParkNow();
    // What follows runs only if the page lives on (a bfcache'd page, a
    // hidden tab). Not delivered: the loop sends it like any other chunk.
    sending?.then(async (attempt) => {
      const outbox = this.outbox;
      if (judge(attempt, 1, 0, Date.now()).delivered && outbox) {
        await this.remove(outbox, record);
        this.tellDelivered(record);
      }
      this.sentBeforeUnload.delete(key);
    });
    return sendable;
  }
}

/** A chunk as the outbox stores it (`apiKey` only when there is one); `body` is the courier's own copy. */
function chunkRecord(replayId, seq, endpoint, apiKey, body, createdAt) {
  const record = { replayId, seq, endpoint, body, createdAt };
  if (apiKey !== undefined && apiKey !== null) record.apiKey = apiKey;
  return record;
}
