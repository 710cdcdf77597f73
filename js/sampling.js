// The sampling decision, made in JS before the wasm is fetched, so that a
// session outside sampleRate (or errorSampleRate in buffer mode) costs the
// page no download and no compile. It must give the core's answer for the
// same session: the hash is src/core/sampling.rs's, the session rules are
// src/core/session.rs's and lifecycle::session_at_start's; the storage keys
// are TabStorage's, below, through which the wasm reads the same storage
// (the stored session's format is src/core/session.rs's). The file
// tests/golden/sampling.json holds answers of the core that both sides are
// tested against.
//
// The options have passed js/options.js's check by then (ids by its
// ID_PATTERN, as here). Whenever the tab's storage leaves any doubt (it
// cannot be written), the answer is `undecided` and the wasm decides, as
// it always did.

import { ID_PATTERN, MAX_ID_LENGTH } from './options.js';

const SESSION_KEY = 'rewind:session';
const DEVICE_KEY = 'rewind:device';
const SEQ_KEY_PREFIX = 'rewind:seq:';
const MAX_SAFE_INTEGER = 2 ** 53 - 1;
const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_MAX_DURATION_MS = 4 * 60 * 60 * 1000;
const U64 = (1n << 64n) - 1n;

/**
 * FNV-1a over the id's UTF-8 bytes, finished with a 64-bit mixer, mapped to
 * [0, 1): src/core/sampling.rs's unit_hash, bit for bit (BigInt for u64).
 */
export function unitHash(id) {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(id)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & U64;
  }
  hash ^= hash >> 33n;
  hash = (hash * 0xff51afd7ed558ccdn) & U64;
  hash ^= hash >> 33n;
  hash = (hash * 0xc4ceb9fe1a85ec53n) & U64;
  hash ^= hash >> 33n;
  return Number(hash >> 11n) / 2 ** 53;
}

/** Whether `sessionId` falls inside `rate` (0 = none, 1 = all). */
export function isSessionSampled(sessionId, rate) {
  if (rate >= 1) return true;
  if (!(rate > 0)) return false;
  return unitHash(sessionId) < rate;
}

/** An id as the core's SessionId/DeviceId::parse accepts it, or null. */
export function parseId(value) {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= MAX_SAFE_INTEGER ? String(value) : null;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) return null;
  return ID_PATTERN.test(value) ? value : null;
}

/** A number option in [min, max], its default when absent, else NaN. */
function numberOption(options, key, min, max, fallback) {
  const value = options[key];
  if (value === undefined || value === null) return fallback;
  return typeof value === 'number' && value >= min && value <= max ? value : NaN;
}

/** The stored generated session (`<id> <startedAt> <lastActivity>`), or null. */
function storedSession(text) {
  const parts = typeof text === 'string' ? text.split(' ') : [];
  if (parts.length !== 3 || parseId(parts[0]) === null) return null;
  // Rust's u64 parse: digits, with an optional leading '+'.
  if (!parts.slice(1).every((part) => /^\+?[0-9]+$/.test(part))) return null;
  return { id: parts[0], startedAt: Number(parts[1]), lastActivity: Number(parts[2]) };
}

function storage(name) {
  try {
    return globalThis[name] ?? null;
  } catch (error) {
    // A sandboxed frame or blocked cookies throw on the getter itself.
    return null;
  }
}

/**
 * A random version-4 UUID from the browser's CSPRNG (`getRandomValues`
 * works on insecure origins too, unlike `randomUUID`), or from Math.random
 * where even that is missing.
 */
function randomDeviceId() {
  let bytes = new Uint8Array(16);
  try {
    crypto.getRandomValues(bytes);
  } catch (error) {
    bytes = bytes.map(() => Math.random() * 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The stored device id, or a new random one stored for next time. Throws
 * when storage refuses the read or the write (`strict`), else the id then
 * lives only as long as the page.
 */
function storedDeviceId(local, strict) {
  try {
    const stored = parseId(local?.getItem(DEVICE_KEY));
    if (stored !== null) return stored;
  } catch (error) {
    if (strict) throw error;
  }
  const id = randomDeviceId();
  try {
    local?.setItem(DEVICE_KEY, id);
  } catch (error) {
    if (strict) throw error;
  }
  return id;
}

/**
 * The device the wasm would record under: the option, the stored one, or a
 * new random one stored for it to find. null when storage cannot keep it.
 */
function deviceOf(options, earlyIdentify) {
  if (options.userIdAsDeviceId === true && earlyIdentify) {
    const user = parseId(earlyIdentify);
    if (user !== null) return user;
  }
  if (options.deviceId !== undefined) return parseId(options.deviceId);
  try {
    return storedDeviceId(storage('localStorage'), true);
  } catch (error) {
    return null;
  }
}

/**
 * What a tab remembers between page loads, for the wasm's recording
 * (src/web/storage.rs): the device id (localStorage, shared by the site's
 * tabs), the generated session and each replay's next seq (sessionStorage,
 * so a reload in the same tab continues the replay). Storage can be
 * missing or throw (sandboxed frames, blocked cookies); then the values
 * live only as long as the page. Its methods never throw.
 */
export class TabStorage {
  constructor() {
    this.local = storage('localStorage');
    this.tab = storage('sessionStorage');
  }

  /** The stored device id, or a new random one (stored for next time). */
  deviceId() {
    return storedDeviceId(this.local, false);
  }

  /** The stored generated session's text, as saveSession() wrote it. */
  session() {
    try {
      return this.tab?.getItem(SESSION_KEY) ?? undefined;
    } catch (error) {
      return undefined;
    }
  }

  saveSession(text) {
    try {
      this.tab?.setItem(SESSION_KEY, text);
    } catch (error) {
      // A full or blocked storage only costs the session's persistence.
    }
  }

  /** The seq the next chunk of `replayId` takes (0 for a new replay). */
  nextSeq(replayId) {
    try {
      const text = this.tab?.getItem(SEQ_KEY_PREFIX + replayId);
      // What Rust's u64 parse accepts, as the wasm read it before.
      return typeof text === 'string' && /^\+?[0-9]+$/.test(text) ? Number(text) : 0;
    } catch (error) {
      return 0;
    }
  }

  /**
   * Remembers the next seq of `replayId`; written when a chunk is sealed,
   * synchronously, so a reload right after never reuses a seq.
   */
  saveNextSeq(replayId, seq) {
    try {
      this.tab?.setItem(SEQ_KEY_PREFIX + replayId, String(seq));
    } catch (error) {
      // As in saveSession().
    }
  }
}

/**
 * What start(options) would decide about sampling, without the wasm:
 * `{ sampled: false, sessionId, deviceId }` for a session outside its rate,
 * `{ sampled: true }` inside it, or null when only the wasm can tell. A new
 * generated session is stored here, where the wasm will continue it, so
 * both name and sample the same session. `earlyIdentify` is the user id of
 * an identify() made before start(), if any.
 */
export function decideSampling(options, now = Date.now(), earlyIdentify = null) {
  if (options === undefined || options === null) return { sampled: true };
  if (typeof options !== 'object') return null;
  const mode = options.mode ?? 'normal';
  if (mode !== 'normal' && mode !== 'buffer') return null;
  const rate = numberOption(options, mode === 'buffer' ? 'errorSampleRate' : 'sampleRate', 0, 1, 1);
  if (Number.isNaN(rate)) return null;
  if (rate >= 1) return { sampled: true };
  let sessionId;
  if (options.sessionId !== undefined) {
    sessionId = parseId(options.sessionId);
    if (sessionId === null) return null;
  } else {
    const idleTimeout = numberOption(options, 'sessionIdleTimeoutMs', 1_000, 604_800_000, DEFAULT_IDLE_TIMEOUT_MS);
    const maxDuration = numberOption(options, 'maxSessionDurationMs', 60_000, 604_800_000, DEFAULT_MAX_DURATION_MS);
    if (Number.isNaN(idleTimeout) || Number.isNaN(maxDuration)) return null;
    const tab = storage('sessionStorage');
    if (!tab) return null;
    try {
      const stored = storedSession(tab.getItem(SESSION_KEY));
      const ended = !stored || now - stored.lastActivity >= idleTimeout || now - stored.startedAt >= maxDuration;
      if (ended) {
        const startedAt = Math.floor(Math.max(now, 0));
        sessionId = String(startedAt);
        tab.setItem(SESSION_KEY, `${sessionId} ${startedAt} ${startedAt}`);
      } else {
        sessionId = stored.id;
      }
    } catch (error) {
      // Storage that cannot be read or written: the wasm's session would
      // not be this one.
      return null;
    }
  }
  if (isSessionSampled(sessionId, rate)) return { sampled: true };
  const deviceId = deviceOf(options, earlyIdentify);
  return deviceId === null ? null : { sampled: false, sessionId, deviceId, rate };
}

/** The calls the Recorder's `tell()` takes, by number (src/web/exports.rs). */
export const TELL = { log: 0, identify: 1, customEvent: 2, switchReplay: 3 };

/** The calls the Recorder's `run()` takes, by number (src/web/exports.rs). */
export const RUN = { flush: 0, stop: 1, takeFullSnapshot: 2, snapshotTaken: 3 };

/**
 * The recording of a session outside its sampling rate, decided before
 * the wasm loaded: it answers as the wasm's Recorder does for such a
 * session (its ids, no replay id, nothing recorded), without the wasm;
 * index.js has checked the arguments (js/options.js) for both.
 * setSessionId() to a session inside the rate is index.js's to handle:
 * that needs the real recorder.
 */
export class SampledOutRecording {
  constructor({ sessionId, deviceId, rate }, options) {
    this.session = sessionId;
    this.device = deviceId;
    this.rate = rate;
    // What a recorder started later, for a session inside the rate, gets.
    this.options = options;
    this.user = null;
  }

  // Recording nothing, buffering nothing (Recorder.status()).
  status() {
    return [0, 0, 0, NaN];
  }

  currentReplay() {
    return `${this.device}/${this.session}`;
  }

  // Of the calls, only identify() is kept: for a recorder started later.
  tell(call, text, json) {
    if (call === TELL.identify) this.user = [text, json];
  }

  // Nothing to flush, stop or snapshot (Recorder.run()).
  run() {
    return Promise.resolve();
  }

  free() {}

  /**
   * The ids setSessionId(sessionId, deviceId) moves to, given as
   * checkReplayIds returns them (undefined keeps the current one);
   * `sampled` says whether the new session is inside the rate.
   */
  switchTarget(sessionId = this.session, deviceId = this.device) {
    const sampled = sessionId !== this.session && isSessionSampled(sessionId, this.rate);
    return { sessionId, deviceId, sampled };
  }
}
