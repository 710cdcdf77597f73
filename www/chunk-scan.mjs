// Reads what the collector needs from a chunk's JSON (its ids, seq,
// timestamps and user, whether `events` is an array, how many events are
// errors and logs) in one pass over the bytes, without building the events.
//
// Why not JSON.parse: it builds every value, and its heap grows with the
// number of values rather than the bytes. 16 MiB of `[{},{},…]`, a 16 KiB
// gzip body, costs V8 about 360 MB and 4 s; a few such bodies at once,
// all within the collector's size limits, would exhaust it. Here memory is
// one byte per nesting level (at most `maxDepth`) and the few top-level
// values kept, whatever the events hold; time is linear in the bytes. The
// price: on an ordinary chunk it takes about twice JSON.parse's CPU time
// (270 us against 155 us for 28 KB of events).
//
// It accepts exactly what JSON.parse(bytes.toString('utf8')) accepts and
// reads the same values (duplicate keys: the last wins), which
// tests/e2e/collector.test.mjs checks on random inputs.

/** The JSON is malformed, or nested deeper than allowed. */
export class ChunkSyntaxError extends Error {}

/** Top-level keys whose values are kept (all but `events` are materialized). */
const FIELDS = ['replayId', 'deviceId', 'sessionId', 'seq', 'startTimestamp', 'endTimestamp', 'user', 'events'];
/** A kept top-level value larger than this is replaced by TOO_LARGE. */
const MAX_FIELD_BYTES = 64 * 1024;
/** Stands for a top-level value over MAX_FIELD_BYTES: no valid id, seq or timestamp is that long. */
export const TOO_LARGE = Symbol('value over 64 KiB');
/** Keys (and compared strings) longer than this in raw bytes cannot match any name looked for. */
const MAX_NAME_BYTES = 128;

const OBJECT = 1;
const ARRAY = 2;
// What the scanner expects next.
const VALUE = 0; // any value (document start, after ':' or after ',' in an array)
const VALUE_OR_CLOSE = 1; // after '['
const KEY_OR_CLOSE = 2; // after '{'
const KEY = 3; // after ',' in an object
const COLON = 4;
const COMMA_OR_CLOSE = 5;
const END = 6; // after the top-level value: whitespace only

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function fail(what, at) {
  throw new ChunkSyntaxError(`the chunk is not valid JSON: ${what} at byte ${at}`);
}

function isDigit(c) {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c) {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * Scans the string whose opening quote is at `i`. Returns the index after
 * its closing quote, times two, plus one if it held an escape (one number,
 * so the hot loop allocates nothing).
 */
function scanString(bytes, i) {
  const n = bytes.length;
  let escaped = 0;
  i += 1;
  for (;;) {
    if (i >= n) fail('unterminated string', i);
    const c = bytes[i];
    if (c === QUOTE) return (i + 1) * 2 + escaped;
    if (c === BACKSLASH) {
      escaped = 1;
      const e = bytes[i + 1];
      if (e === 0x75) {
        // \uXXXX
        if (!(isHex(bytes[i + 2]) && isHex(bytes[i + 3]) && isHex(bytes[i + 4]) && isHex(bytes[i + 5]))) fail('bad \\u escape', i);
        i += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else {
        fail('bad escape', i);
      }
    } else if (c < 0x20) {
      fail('control character in a string', i);
    } else {
      i += 1;
    }
  }
}

/** Scans the number starting at `i`; returns the index after it. */
function scanNumber(bytes, i) {
  if (bytes[i] === 0x2d) i += 1; // '-'
  if (bytes[i] === 0x30) {
    i += 1;
  } else if (isDigit(bytes[i])) {
    while (isDigit(bytes[i])) i += 1;
  } else {
    fail('bad number', i);
  }
  if (bytes[i] === 0x2e) {
    i += 1;
    if (!isDigit(bytes[i])) fail('bad number', i);
    while (isDigit(bytes[i])) i += 1;
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    i += 1;
    if (bytes[i] === 0x2b || bytes[i] === 0x2d) i += 1;
    if (!isDigit(bytes[i])) fail('bad number', i);
    while (isDigit(bytes[i])) i += 1;
  }
  return i;
}

/** Scans `word` (true, false, null) at `i`; returns the index after it. */
function scanLiteral(bytes, i, word) {
  for (let k = 0; k < word.length; k++) {
    if (bytes[i + k] !== word.charCodeAt(k)) fail('unexpected character', i + k);
  }
  return i + word.length;
}

/**
 * What the chunk means, kept while the scanner walks it: the top-level
 * fields' byte ranges and the counts of errors and logs. Called only for
 * the first levels (a value at depth 2 or less, a key or scalar at depth 5
 * or less), so the deep bulk of a snapshot costs nothing here.
 */
class Reading {
  constructor(bytes, kinds) {
    this.bytes = bytes;
    this.kinds = kinds; // shared with the scanner: kinds[d] is the container at depth d
    // keys[d]: the current key of the object at depth d (null: an array, or
    // a key that matters to nothing here).
    this.keys = [null, null, null, null, null, null];
    this.ranges = new Map(); // top-level key -> [start, end) of its value
    this.topValueStart = -1;
    this.errors = 0;
    this.logs = 0;
    // The event being read: its type and the strings the counts look at.
    this.type = undefined;
    this.tag = undefined;
    this.plugin = undefined;
    this.level = undefined;
  }

  /** Whether the value at `depth` sits under events[k]. */
  inEvent(depth) {
    return depth >= 2 && this.kinds[1] === OBJECT && this.keys[1] === 'events' && this.kinds[2] === ARRAY;
  }

  /**
   * A short string token [start, end) (quotes included) as a name to
   * compare; null when too long to be one. Names looked for are ASCII, so
   * a latin1 read of the raw bytes equals one exactly when the bytes do.
   */
  name(start, end, escaped) {
    if (end - start > MAX_NAME_BYTES + 2) return null;
    return escaped ? JSON.parse(this.bytes.toString('utf8', start, end)) : this.bytes.toString('latin1', start + 1, end - 1);
  }

  /** The container at `depth` opened. */
  open(depth) {
    if (depth <= 5) this.keys[depth] = null;
  }

  /** A key [start, end) was read in the object at `depth` (5 or less): its value replaces any earlier one. */
  key(depth, start, end, escaped) {
    const { keys, kinds } = this;
    if (depth === 1) {
      keys[1] = this.name(start, end, escaped);
      if (keys[1] === 'events') this.errors = this.logs = 0;
    } else if (depth === 3 && this.inEvent(depth)) {
      keys[3] = this.name(start, end, escaped);
      if (keys[3] === 'type') this.type = undefined;
      else if (keys[3] === 'data') this.tag = this.plugin = this.level = undefined;
    } else if (depth === 4 && this.inEvent(depth) && kinds[3] === OBJECT && keys[3] === 'data') {
      keys[4] = this.name(start, end, escaped);
      if (keys[4] === 'tag') this.tag = undefined;
      else if (keys[4] === 'plugin') this.plugin = undefined;
      else if (keys[4] === 'payload') this.level = undefined;
    } else if (depth === 5 && this.inEvent(depth) && kinds[3] === OBJECT && keys[3] === 'data' && kinds[4] === OBJECT && keys[4] === 'payload') {
      keys[5] = this.name(start, end, escaped);
    } else {
      keys[depth] = null;
    }
  }

  /** A value begins at `start` inside the container at `depth` (2 or less). */
  valueStart(depth, start) {
    if (depth === 1) this.topValueStart = start;
    else if (depth === 2 && this.inEvent(depth)) this.type = this.tag = this.plugin = this.level = undefined;
  }

  /** A scalar [start, end) ended inside the container at `depth` (3 to 5). */
  scalar(depth, start, end, isString, escaped) {
    const { keys, kinds } = this;
    if (kinds[depth] !== OBJECT || !this.inEvent(depth)) return;
    if (depth === 3) {
      if (keys[3] === 'type') this.type = isString ? null : Number(this.bytes.toString('latin1', start, end));
    } else if (isString && kinds[3] === OBJECT && keys[3] === 'data') {
      if (depth === 4 && keys[4] === 'tag') this.tag = this.name(start, end, escaped);
      else if (depth === 4 && keys[4] === 'plugin') this.plugin = this.name(start, end, escaped);
      else if (depth === 5 && kinds[4] === OBJECT && keys[4] === 'payload' && keys[5] === 'level') this.level = this.name(start, end, escaped);
    }
  }

  /** A value ended at `end`, inside the container at `depth` (2 or less; 0: the document). */
  valueEnd(depth, end) {
    if (depth === 1 && this.kinds[1] === OBJECT && this.keys[1] !== null && FIELDS.includes(this.keys[1])) {
      this.ranges.set(this.keys[1], [this.topValueStart, end]);
    } else if (depth === 2 && this.inEvent(depth)) {
      if (this.type === 6 && this.plugin === 'rrweb/console@1' && this.level === 'error') this.errors += 1;
      if (this.type === 5 && this.tag === 'log') this.logs += 1;
    }
  }
}

/**
 * @param {Uint8Array & { toString(encoding: string, start: number, end: number): string }} bytes
 *   the inflated chunk (a Buffer)
 * @param {{ maxDepth?: number }} [options] nesting beyond this is refused
 *   (rewind cuts DOM trees at 1,000 levels, about 2,000 JSON levels)
 * @returns {{ isObject: boolean, fields: Record<string, unknown>, eventsIsArray: boolean, errors: number, logs: number }}
 *   `fields` holds the kept top-level values present (TOO_LARGE for huge
 *   ones); `errors` counts events `{ type: 6, data: { plugin:
 *   'rrweb/console@1', payload: { level: 'error' } } }`, `logs` events
 *   `{ type: 5, data: { tag: 'log' } }`.
 * @throws {ChunkSyntaxError} saying where the JSON is malformed
 */
export function scanChunk(bytes, { maxDepth = 10_000 } = {}) {
  const n = bytes.length;
  const kinds = new Uint8Array(maxDepth + 1);
  const reading = new Reading(bytes, kinds);
  // The scanner's own state stays in locals: the loop runs once per token.
  let depth = 0;
  let state = VALUE;
  let i = 0;
  let topIsObject = false;

  while (i < n) {
    const c = bytes[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i += 1;
      continue;
    }
    if (state === COMMA_OR_CLOSE) {
      if (c === 0x2c) {
        i += 1;
        state = kinds[depth] === OBJECT ? KEY : VALUE;
        continue;
      }
      // else a close, below
    } else if (state === VALUE || (state === VALUE_OR_CLOSE && c !== 0x5d)) {
      if (depth <= 2) reading.valueStart(depth, i);
      if (c === 0x7b || c === 0x5b) {
        // '{' or '['
        if (depth === 0) topIsObject = c === 0x7b;
        if (depth >= maxDepth) throw new ChunkSyntaxError(`the chunk nests deeper than ${maxDepth} levels (at byte ${i})`);
        depth += 1;
        kinds[depth] = c === 0x7b ? OBJECT : ARRAY;
        reading.open(depth);
        state = c === 0x7b ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
        i += 1;
        continue;
      }
      const start = i;
      let isString = false;
      let escaped = false;
      if (c === QUOTE) {
        const scanned = scanString(bytes, i);
        i = scanned >>> 1;
        escaped = (scanned & 1) === 1;
        isString = true;
      } else if (c === 0x2d || isDigit(c)) {
        i = scanNumber(bytes, i);
      } else if (c === 0x74) {
        i = scanLiteral(bytes, i, 'true');
      } else if (c === 0x66) {
        i = scanLiteral(bytes, i, 'false');
      } else if (c === 0x6e) {
        i = scanLiteral(bytes, i, 'null');
      } else {
        fail('expected a value', i);
      }
      if (depth >= 3 && depth <= 5) reading.scalar(depth, start, i, isString, escaped);
      else if (depth <= 2) reading.valueEnd(depth, i);
      state = depth === 0 ? END : COMMA_OR_CLOSE;
      continue;
    } else if (state === KEY || (state === KEY_OR_CLOSE && c !== 0x7d)) {
      if (c !== QUOTE) fail('expected a key', i);
      const start = i;
      const scanned = scanString(bytes, i);
      i = scanned >>> 1;
      if (depth <= 5) reading.key(depth, start, i, (scanned & 1) === 1);
      state = COLON;
      continue;
    } else if (state === COLON) {
      if (c !== 0x3a) fail("expected ':'", i);
      i += 1;
      state = VALUE;
      continue;
    } else if (state === END) {
      fail('unexpected data after the JSON value', i);
    }
    // A close: '}' for an object, ']' for an array, where one may come.
    if (c !== (kinds[depth] === OBJECT ? 0x7d : 0x5d)) fail('unexpected character', i);
    i += 1;
    depth -= 1;
    if (depth <= 2) reading.valueEnd(depth, i);
    state = depth === 0 ? END : COMMA_OR_CLOSE;
  }
  if (state !== END) fail('unexpected end', i);

  const fields = {};
  for (const [key, [start, end]] of reading.ranges) {
    if (key === 'events') continue;
    fields[key] = end - start > MAX_FIELD_BYTES ? TOO_LARGE : JSON.parse(bytes.toString('utf8', start, end));
  }
  const events = reading.ranges.get('events');
  return { isObject: topIsObject, fields, eventsIsArray: events !== undefined && bytes[events[0]] === 0x5b, errors: reading.errors, logs: reading.logs };
}
