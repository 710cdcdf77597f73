// start()'s options, checked before the wasm is fetched: a page that
// passes a bad option learns what was wrong and what is allowed at once,
// and downloads nothing. The wasm is handed what passed, normalized (the
// endpoint absolute, a session id as a string, the console methods as a
// bit set: see `checkOptions`), and applies it without checking again
// (src/core/options.rs, whose table names the same options).

/** The longest device or session id accepted, in characters. */
export const MAX_ID_LENGTH = 128;
/** The characters of an id: safe in a URL path, a storage key and a file name. */
export const ID_PATTERN = /^[A-Za-z0-9_\-.|@:=]+$/;
const ID_CHARACTERS = 'a-z A-Z 0-9 _ - . | @ : =';
const MAX_SAFE_INTEGER = 2 ** 53 - 1;

/** The console methods rewind can record, in the order of their bits. */
export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'assert', 'trace'];

// A number option's bounds, and its words, which name them.
const within = (unit) => (min, max, extra = '') => [[min, max], `a number ${unit}from ${min} to ${max}${extra}`];
const ms = within('of milliseconds ');
const bytes = within('of bytes ');
const share = within('');
const SELECTOR = 'a CSS selector: ';

/**
 * Every option start() accepts: its name, what it takes (a kind, or a
 * number's bounds, whole numbers marked by a third entry), and what it
 * takes in words, for errors.
 */
export const KNOWN_OPTIONS = [
  ['endpoint', 'text', 'a URL (http or https): where chunks are POSTed'],
  ['apiKey', 'token', "a string of printable ASCII without spaces, sent as 'Authorization: Bearer <apiKey>'"],
  ['deviceId', 'device', `a string of 1 to ${MAX_ID_LENGTH} of ${ID_CHARACTERS}`],
  ['sessionId', 'session', `a whole number or a string of 1 to ${MAX_ID_LENGTH} of ${ID_CHARACTERS}`],
  ['userIdAsDeviceId', 'flag', 'a boolean (default false): identify(userId) makes the user id the device id'],
  ['sampleRate', ...share(0, 1, ' (default 1)')],
  ['mode', 'mode', "'normal' (default: chunks are sent as recorded) or 'buffer' (kept in memory, sent once an error or flush() triggers)"],
  ['bufferMs', ...ms(5000, 600000, ' (default 60000): what buffer mode keeps before a trigger')],
  ['maxBufferBytes', ...bytes(262144, 268435456, " (default 10485760): buffer mode's memory cap, in compressed chunks")],
  ['errorSampleRate', ...share(0, 1, ' (default 1): the share of sessions buffered in buffer mode')],
  ['captureConsole', 'levels', `an array of console methods to record, of ${CONSOLE_LEVELS.join(' ')} (default ['error', 'warn']; [] records none)`],
  ['maskAllInputs', 'flag', 'a boolean (default true)'],
  ['maskAllText', 'flag', 'a boolean (default false)'],
  ['maskTextSelector', 'text', `${SELECTOR}text inside matching elements is masked`],
  ['blockSelector', 'text', `${SELECTOR}matching elements are recorded as empty placeholders`],
  ['ignoreSelector', 'text', `${SELECTOR}input into matching fields is not recorded`],
  ['checkoutEveryNms', ...ms(1000, 86400000, ': a full snapshot that often')],
  ['checkoutEveryNth', [1, 1000000, 'whole'], 'a whole number from 1 to 1000000: a full snapshot after that many events'],
  ['flushIntervalMs', ...ms(100, 600000, ' (default 5000)')],
  ['maxChunkBytes', ...bytes(16384, 16777216, ' (default 1048576)')],
  ['sessionIdleTimeoutMs', ...ms(1000, 604800000, ' (default 1800000)')],
  ['maxSessionDurationMs', ...ms(60000, 604800000, ' (default 14400000)')],
  ['maxOutboxBytes', ...bytes(65536, 1073741824, ' (default 20971520)')],
  ['maxOutboxAgeMs', ...ms(60000, 2592000000, ' (default 604800000)')],
  ['requestTimeoutMs', ...ms(100, 300000, ' (default 30000)')],
  ['debug', 'flag', 'a boolean (default false)'],
  ['emit', 'function', 'a function called with each event'],
];

/** A short name of a value's kind, for errors. */
export function kindOf(value) {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** `value` as an error quotes it. */
function describe(value) {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return `[${value.map((item) => `'${item}'`).join(', ')}]`;
  }
  return kindOf(value);
}

/**
 * `character` as Rust's `char::escape_default` writes it (as the wasm's id
 * errors did, and pages may match on): printable ASCII as itself, quotes
 * and backslash escaped, the rest as `\u{hex}`.
 */
function escapeCharacter(character) {
  const named = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\t': '\\t', '\r': '\\r', '\n': '\\n' }[character];
  if (named) return named;
  const code = character.codePointAt(0);
  return code >= 0x20 && code <= 0x7e ? character : `\\u{${code.toString(16)}}`;
}

/**
 * What is wrong with `id` as the `field` (deviceId, sessionId), or null:
 * src/core/replay_id.rs's rule (`is_valid_id`), which the wasm applies to
 * what the tab's storage gives back, with the words that say why.
 */
export function idProblem(field, id) {
  if (id.length === 0) return `${field} is empty: it needs 1 to ${MAX_ID_LENGTH} of ${ID_CHARACTERS}`;
  // By code points, as Rust's chars count them.
  const characters = Array.from(id);
  const bad = characters.findIndex((character) => !ID_PATTERN.test(character));
  if (bad >= 0) {
    return `${field} '${id}' contains '${escapeCharacter(characters[bad])}' at position ${bad + 1}: allowed are ${ID_CHARACTERS}`;
  }
  if (characters.length > MAX_ID_LENGTH) {
    return `${field} is ${characters.length} characters long: at most ${MAX_ID_LENGTH} are allowed`;
  }
  return null;
}

/**
 * Levenshtein distance ignoring ASCII case, a transposition counting as
 * one edit (option names are ASCII).
 */
export function editDistance(a, b) {
  const same = (i, j) => a[i].toLowerCase() === b[j].toLowerCase();
  const rows = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([]);
    for (let j = 0; j <= b.length; j++) {
      let best = i + j;
      if (i > 0 && j > 0) {
        best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (same(i - 1, j - 1) ? 0 : 1));
        if (i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1)) best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i].push(best);
    }
  }
  return rows[a.length][b.length];
}

/** The known option nearest to `key`, when it is near enough to be a typo (2 edits). */
function closestOption(key) {
  let closest = null;
  let best = 3;
  for (const [name] of KNOWN_OPTIONS) {
    const distance = editDistance(key, name);
    if (distance < best) [closest, best] = [name, distance];
  }
  return closest;
}

/**
 * `value` as the option that `takes` it keeps it; undefined when it is not
 * what the option takes. Throws for an id that is not valid.
 */
function accept(name, takes, value) {
  if (Array.isArray(takes)) {
    const [min, max, whole] = takes;
    return typeof value === 'number' && value >= min && value <= max && (!whole || Number.isInteger(value)) ? value : undefined;
  }
  switch (takes) {
    case 'flag':
      return typeof value === 'boolean' ? value : undefined;
    case 'function':
      return typeof value === 'function' ? value : undefined;
    case 'text':
      return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    case 'token':
      return typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) ? value : undefined;
    case 'mode':
      return value === 'normal' || value === 'buffer' ? value : undefined;
    case 'levels': {
      if (!Array.isArray(value)) return undefined;
      let levels = 0;
      for (const level of value) {
        const bit = CONSOLE_LEVELS.indexOf(level);
        if (bit < 0) return undefined;
        levels |= 1 << bit;
      }
      return levels;
    }
    default: {
      // A device or session id.
      if (takes === 'session' && typeof value === 'number') {
        if (Number.isInteger(value) && value >= 0 && value <= MAX_SAFE_INTEGER) return String(value);
        throw new Error(`rewind option ${name} ${value} is not a whole number from 0 to 2^53-1: pass a whole number or a string of ${ID_CHARACTERS}`);
      }
      if (typeof value !== 'string') return undefined;
      const problem = idProblem(name, value);
      if (problem) throw new Error(`rewind option ${problem}`);
      return value;
    }
  }
}

/**
 * start()'s options checked: the options that were given (an undefined
 * value is not given, as in TypeScript), normalized for the wasm. Throws an
 * Error that names the first bad option, what was wrong and what is
 * allowed; then unknown keys (with the nearest known one), a missing
 * destination, an endpoint that is no http(s) URL and selectors the page's
 * own parser rejects. `page` is the window the endpoint is relative to.
 */
export function checkOptions(options, page = globalThis) {
  const destination = "rewind needs somewhere to send events: pass 'endpoint' (a URL chunks are POSTed to) or 'emit' (a function called with each event)";
  if (options === undefined || options === null) throw new Error(destination);
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`rewind options must be an object or undefined, got ${kindOf(options)}`);
  }
  const checked = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const known = KNOWN_OPTIONS.find(([name]) => name === key);
    if (!known) {
      const suggestion = closestOption(key);
      const allowed = KNOWN_OPTIONS.map(([name]) => name).join(', ');
      throw new Error(`unknown rewind option '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; allowed options: ${allowed}`);
    }
    const [name, takes, expected] = known;
    const accepted = accept(name, takes, value);
    if (accepted === undefined) throw new Error(`rewind option '${name}' must be ${expected}, got ${describe(value)}`);
    checked[name] = accepted;
  }
  if (checked.endpoint === undefined && checked.emit === undefined) throw new Error(destination);
  if (checked.endpoint !== undefined) {
    const endpoint = checked.endpoint;
    let url;
    try {
      url = new URL(endpoint, page.location?.href);
    } catch (error) {
      throw new Error(`rewind option 'endpoint' '${endpoint}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`rewind option 'endpoint' must be an http or https URL, got '${endpoint}' (${url.protocol})`);
    }
    // Absolute, so a chunk stored now can be sent from any later page.
    checked.endpoint = url.href;
  }
  for (const key of ['maskTextSelector', 'blockSelector', 'ignoreSelector']) {
    const selector = checked[key];
    if (selector === undefined || !page.document) continue;
    try {
      // The browser's parser is the judge: a selector it rejects now
      // would silently match nothing while recording.
      page.document.querySelector(selector);
    } catch (error) {
      throw new Error(`rewind option '${key}' '${selector}' is not a valid CSS selector`);
    }
  }
  return checked;
}

/**
 * What the wasm's Recorder takes of checkOptions' result: each option's
 * value in KNOWN_OPTIONS' order (undefined where not given), so that no
 * names cross (src/core/options.rs has the same table in the same order).
 */
export function optionValues(checked) {
  return KNOWN_OPTIONS.map(([name]) => checked[name]);
}

// ---- The other calls' arguments, checked here for both kinds of
// recording (the wasm's, and a session outside sampleRate's, which has
// none): the wasm is handed only what passed. ----

/** The longest user id identify() takes, in characters. */
const MAX_USER_ID_CHARS = 256;
/** The longest Custom event tag, in characters. */
const MAX_CUSTOM_TAG_CHARS = 100;

/** `text`'s length in code points, as Rust's chars count it. */
const charCount = (text) => Array.from(text).length;

/**
 * setSessionId()'s and setDeviceId()'s ids, as strings (undefined keeps
 * the current one). Throws naming the id, what was wrong and what is
 * allowed; `call` says which call, as the page wrote it.
 */
export function checkReplayIds(sessionId, deviceId, call = 'setSessionId(sessionId, deviceId)') {
  const fail = (reason) => {
    throw new Error(`rewind ${call}: ${reason}`);
  };
  let session;
  if (typeof sessionId === 'number') {
    if (!(Number.isInteger(sessionId) && sessionId >= 0 && sessionId <= MAX_SAFE_INTEGER)) {
      fail(`sessionId ${sessionId} is not a whole number from 0 to 2^53-1: pass a whole number or a string of ${ID_CHARACTERS}`);
    }
    session = String(sessionId);
  } else if (typeof sessionId === 'string') {
    session = sessionId;
    const problem = idProblem('sessionId', session);
    if (problem) fail(problem);
  } else if (sessionId !== undefined && sessionId !== null) {
    fail(`sessionId must be a whole number or a string, got ${kindOf(sessionId)}`);
  }
  let device;
  if (typeof deviceId === 'string') {
    device = deviceId;
    const problem = idProblem('deviceId', device);
    if (problem) fail(problem);
  } else if (deviceId !== undefined && deviceId !== null) {
    fail(`deviceId must be a string of ${ID_CHARACTERS}, got ${kindOf(deviceId)}`);
  }
  return { sessionId: session, deviceId: device };
}

/**
 * identify()'s user id as a string; with `asDeviceId` (the option
 * userIdAsDeviceId) it must also be a device id. Throws what was wrong.
 */
export function checkUserId(userId, asDeviceId) {
  const id = String(userId);
  const length = charCount(id);
  if (length === 0 || length > MAX_USER_ID_CHARS) {
    throw new Error(`rewind identify(userId): the user id must be a string of 1 to ${MAX_USER_ID_CHARS} characters, got ${length} characters`);
  }
  const problem = asDeviceId ? idProblem('deviceId', id) : null;
  if (problem) throw new Error(`rewind identify(userId) with userIdAsDeviceId: ${problem}`);
  return id;
}

/** addCustomEvent()'s tag as a string, of 1 to 100 characters. */
export function checkCustomTag(tag) {
  const text = String(tag);
  const length = charCount(text);
  if (length === 0 || length > MAX_CUSTOM_TAG_CHARS) {
    throw new Error(`rewind addCustomEvent(tag, payload): the tag must be a string of 1 to ${MAX_CUSTOM_TAG_CHARS} characters, got ${length} characters`);
  }
  return text;
}

/**
 * log()'s data or addCustomEvent()'s payload as the JSON recorded: none
 * when undefined; what JSON.stringify cannot write (a cycle, a BigInt, a
 * function) as its string form, quoted.
 */
export function dataJson(data) {
  if (data === undefined) return undefined;
  let json;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    // Written as text below.
  }
  if (json !== undefined) return json;
  let text;
  try {
    text = String(data);
  } catch (error) {
    text = Object.prototype.toString.call(data);
  }
  return JSON.stringify(text);
}

/** identify()'s traits as JSON: none for undefined, null or what JSON.stringify cannot write. */
export function traitsJson(traits) {
  if (traits === undefined || traits === null) return undefined;
  try {
    return JSON.stringify(traits);
  } catch (error) {
    return undefined;
  }
}
