// rewind's Segment plugin, for @segment/analytics-next (analytics.js 2.0):
// an `enrichment` plugin that starts rewind once Segment has loaded, records
// under Segment's user (the user id, else the anonymous id, as the replay's
// device id) and the analytics session (Amplitude's), and adds
// `properties["Session Replay ID"]` to every track, page and screen event,
// so an analyst can go from any event to its moment in the replay.
//
// Segment's pipeline is the page's: nothing here throws into it or holds an
// event back for long. Every plugin method catches what rewind does wrong
// and hands the event on; an event waits for rewind only while rewind's
// wasm loads, and at most EVENT_WAIT_MS.
import {
  start,
  identify,
  setSessionId,
  addCustomEvent,
  getReplayId,
  isRecording,
  currentIds,
  onChunkDelivered,
} from './index.js';
import { isSegment, registerPlugin, PLUGIN_IDENTITY } from './segment-start.js';

/** The property every track, page and screen event gets. */
export const REPLAY_ID_PROPERTY = 'Session Replay ID';
/** The event `trackReplayCaptured` sends once a replay's first chunk is in. */
const REPLAY_CAPTURED_EVENT = 'Replay Captured';
/** Where Segment's Amplitude (Actions) destination keeps its session. */
const AMPLITUDE_INTEGRATION = 'Actions Amplitude';
const SESSION_COOKIE = 'analytics_session_id';
/** The Custom event tag of Segment events recorded into the replay. */
const CUSTOM_EVENT_TAG = 'segment';

/** A device or session id rewind takes: core::replay_id's rule. */
const ID_PATTERN = /^[A-Za-z0-9_\-.|@:=]{1,128}$/;
const ALLOWED_ID_CHARACTERS = 'a-z A-Z 0-9 _ - . | @ : =';
/** An analytics session id: epoch milliseconds, as Amplitude's are. */
const NUMERIC_SESSION = /^\d{1,16}$/;

/** How long Segment may take to load before rewind records on its own ids. */
const SEGMENT_LOAD_WAIT_MS = 3000;
/** How long an event waits for rewind to start before it goes on untagged. */
// Long enough for a slow phone to fetch and compile the wasm; an event
// that waits holds up no page code, only its own delivery.
const EVENT_WAIT_MS = 5000;
/** The session cookie lives this long past its last refresh: Amplitude's idle timeout. */
const SESSION_COOKIE_MAX_AGE_S = 30 * 60;
const COOKIE_REFRESH_MS = 60 * 1000;
const COOKIE_READ_EVERY_MS = 1000;

/** The plugin's own options; the others are start()'s. */
const PLUGIN_KEYS = ['analytics', 'getSessionId', 'trackReplayCaptured', 'recordEvents'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Segment plugin: `analytics.register(createSegmentPlugin({ analytics,
 * ...startOptions }))`. Its own options: `analytics` (the AnalyticsBrowser
 * or `window.analytics`; lets it notice a Segment that fails to load),
 * `getSessionId()` (the session to record under, checked on each event),
 * `trackReplayCaptured` (send "Replay Captured" once per replay, off by
 * default) and `recordEvents` (put each track/page/screen event's name in
 * the replay's timeline, on by default). Throws for an invalid one of its
 * own; start()'s options are checked when rewind starts, and what is wrong
 * there is reported with console.warn.
 * @param {import('./index').SegmentPluginOptions} [options]
 */
export function createSegmentPlugin(options = {}) {
  const { settings, rewindOptions } = readPluginOptions(options);
  return new SegmentLink(settings, rewindOptions).plugin;
}

/**
 * start({ segment: window.analytics, ... }): registers the plugin with the
 * page's Segment (the snippet's stub, the loaded instance or an
 * AnalyticsBrowser) and lets it start rewind. `segment` may also be
 * `{ analytics, getSessionId, trackReplayCaptured, recordEvents }`.
 * `registration`: the script-tag bundle's plugin shell, registered already
 * (segment-start.js), and where it went; null to register here.
 */
export function startWithSegment(segment, rewindOptions, registration = null) {
  const given = isSegment(segment) ? { analytics: segment } : segment;
  if (!given || typeof given !== 'object' || !isSegment(given.analytics)) {
    throw new Error(
      "rewind option 'segment' must be window.analytics (Segment's analytics.js, snippet 5 or later, or an AnalyticsBrowser) " +
        `or { analytics: window.analytics, getSessionId?, trackReplayCaptured?, recordEvents? }: got ${describe(segment)}`,
    );
  }
  for (const key of Object.keys(given)) {
    if (!PLUGIN_KEYS.includes(key)) {
      throw new Error(`unknown key '${key}' in rewind option 'segment': allowed are ${PLUGIN_KEYS.join(', ')}`);
    }
  }
  const { settings } = readPluginOptions(given);
  // One plugin a page, as one recording: a second start({ segment }) is
  // ignored like a second start().
  if (linkedBySnippet) {
    linkedBySnippet.startAgain(rewindOptions);
    return;
  }
  linkedBySnippet = new SegmentLink(settings, rewindOptions, registration?.shell);
  if (registration) linkedBySnippet.registered(registration);
  else linkedBySnippet.register(given.analytics);
}

let linkedBySnippet = null;

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array without register() (a Segment snippet older than version 5?)';
  if (typeof value === 'object') return 'an object without register()';
  return typeof value;
}

function readPluginOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`rewind createSegmentPlugin(options): options must be an object, got ${describe(options)}`);
  }
  const { analytics, getSessionId, trackReplayCaptured = false, recordEvents = true, ...rewindOptions } = options;
  if (analytics !== undefined && !isSegment(analytics)) {
    throw new Error(`rewind Segment option 'analytics' must be Segment's analytics object (an AnalyticsBrowser or window.analytics), got ${describe(analytics)}`);
  }
  if (getSessionId !== undefined && typeof getSessionId !== 'function') {
    throw new Error(`rewind Segment option 'getSessionId' must be a function returning the session id (a number or a string of ${ALLOWED_ID_CHARACTERS}), got ${typeof getSessionId}`);
  }
  for (const [key, value] of [['trackReplayCaptured', trackReplayCaptured], ['recordEvents', recordEvents]]) {
    if (typeof value !== 'boolean') throw new Error(`rewind Segment option '${key}' must be true or false, got ${typeof value}`);
  }
  return { settings: { analytics, getSessionId, trackReplayCaptured, recordEvents }, rewindOptions };
}

/** One Segment instance linked to the page's rewind. */
class SegmentLink {
  /** `shell`: segment-start.js's plugin shell, to hand this link's plugin to. */
  constructor(settings, rewindOptions, shell = null) {
    this.settings = settings;
    this.rewindOptions = rewindOptions;
    this.debug = Boolean(rewindOptions.debug);
    // The device id start()'s options fix, which Segment's user never changes.
    this.fixedDevice = rewindOptions.deviceId !== undefined;
    this.instance = null;
    this.starting = null;
    this.started = false;
    // The session comes from analytics (getSessionId, Amplitude, the
    // cookie) rather than rewind's own.
    this.sessionIsAnalytics = false;
    this.cookieWrittenAt = 0;
    this.cookieReadAt = -Infinity;
    this.cookieValue = null;
    this.refusedUserIds = new Set();
    this.capturedReplays = new Set();
    this.stopHearingDeliveries = null;
    this.fallback = setTimeout(() => this.segmentDidNotLoad(), SEGMENT_LOAD_WAIT_MS);
    const enrich = (ctx) => this.enrich(ctx);
    const plugin = {
      ...PLUGIN_IDENTITY,
      isLoaded: () => true,
      load: (ctx, instance) => {
        this.segmentLoaded(instance);
        return Promise.resolve();
      },
      unload: () => this.unload(),
      track: enrich,
      page: enrich,
      screen: enrich,
      identify: (ctx) => this.identified(ctx),
    };
    if (shell) shell.attach(plugin);
    this.plugin = shell ?? plugin;
    // Segment failing to load (an AnalyticsBrowser's promise rejects) need
    // not wait for the timer.
    if (typeof settings.analytics?.then === 'function' && !Array.isArray(settings.analytics)) {
      try {
        settings.analytics.then(null, (error) => this.segmentDidNotLoad(error));
      } catch (error) {
        this.say('could not watch Segment load:', error);
      }
    }
  }

  say(message, detail) {
    if (!this.debug) return;
    try {
      console.warn(`[rewind] Segment: ${message}`, detail ?? '');
    } catch (error) {
      // No console: nothing to tell.
    }
  }

  /** Registers the plugin with `target`; an error there is Segment's, reported. */
  register(target) {
    this.registered(registerPlugin(target, this.plugin));
  }

  /** registerPlugin()'s answer: where the plugin went, and whether Segment took it. */
  registered({ target, outcome }) {
    this.target = target;
    outcome.then((failure) => {
      if (failure) this.segmentDidNotLoad(failure.error);
    });
  }

  /**
   * Segment has not loaded in time (blocked, a 404, never loaded) or failed:
   * rewind records on its own ids; if Segment loads later, the replay
   * follows its user then.
   */
  segmentDidNotLoad(error) {
    if (this.instance || this.starting) return;
    // The page's `window.analytics` was the snippet's stub when rewind was
    // handed it, and analytics.js has replaced it since, after it read the
    // stub's queue: register with the loaded one.
    const global = globalThis.analytics;
    if (!error && this.target && global !== this.target && isSegment(global) && !Array.isArray(global) && !this.retried) {
      this.retried = true;
      this.register(global);
      this.fallback = setTimeout(() => this.segmentDidNotLoad(), SEGMENT_LOAD_WAIT_MS);
      return;
    }
    this.say(
      error
        ? `Segment failed to load (${error?.message ?? error}): recording on rewind's own ids`
        : `Segment has not loaded after ${SEGMENT_LOAD_WAIT_MS} ms (blocked or failing?): recording on rewind's own ids until it does`,
    );
    this.startRewind(null, this.initialSession());
  }

  /** The plugin's load(): Segment is here. Starts rewind, without holding Segment up. */
  segmentLoaded(instance) {
    if (this.instance) return;
    clearTimeout(this.fallback);
    this.instance = instance;
    let deviceId = null;
    try {
      const user = instance.user();
      deviceId = this.deviceFor(user.id(), user.anonymousId());
      // After analytics.reset() the next user is a new anonymous one: a new
      // replay from now, not from its next event.
      instance.on?.('reset', () => this.followReset());
    } catch (error) {
      this.say("could not read Segment's user:", error);
    }
    const sessionId = this.initialSession();
    if (this.starting) {
      // rewind started on its own ids while Segment was late: follow it now.
      this.starting.then(() => this.switchTo(deviceId, sessionId, sessionId !== null));
    } else {
      this.startRewind(deviceId, sessionId);
    }
    if (this.settings.trackReplayCaptured) {
      this.stopHearingDeliveries = onChunkDelivered((replayId, seq) => this.chunkDelivered(replayId, seq));
    }
  }

  startRewind(deviceId, sessionId) {
    const options = { ...this.rewindOptions };
    if (deviceId !== null && !this.fixedDevice) options.deviceId = deviceId;
    if (sessionId !== null && options.sessionId === undefined) {
      options.sessionId = sessionId;
      this.sessionIsAnalytics = true;
    }
    this.starting = (isRecording() ? Promise.resolve(this.switchTo(deviceId, sessionId, sessionId !== null)) : start(options))
      .then(() => {
        this.started = true;
      })
      .catch((error) => {
        this.started = true;
        try {
          console.warn(`[rewind] Segment plugin: not recording: ${error?.message ?? error}`);
        } catch (ignored) {
          // No console: nothing to tell.
        }
      });
  }

  /**
   * start({ segment }) once more: ignored while recording (as a second
   * start() is); after stop(), rewind starts again under Segment's user.
   */
  startAgain(rewindOptions) {
    if (isRecording()) {
      this.say('start({ segment }) called while recording: ignored');
      return;
    }
    this.rewindOptions = rewindOptions;
    this.debug = Boolean(rewindOptions.debug);
    this.fixedDevice = rewindOptions.deviceId !== undefined;
    // Before Segment has loaded, its load (or the fallback) starts rewind.
    if (!this.instance) return;
    let deviceId = null;
    try {
      const user = this.instance.user();
      deviceId = this.deviceFor(user.id(), user.anonymousId());
    } catch (error) {
      this.say("could not read Segment's user:", error);
    }
    this.started = false;
    this.starting = null;
    this.sessionIsAnalytics = false;
    this.startRewind(deviceId, this.initialSession());
  }

  unload() {
    clearTimeout(this.fallback);
    this.stopHearingDeliveries?.();
  }

  /** The session to start with: getSessionId()'s, else the cookie's, else rewind's own (null). */
  initialSession() {
    const given = this.givenSession();
    if (given !== undefined) return given;
    return numericSession(readCookie(SESSION_COOKIE));
  }

  /** getSessionId()'s answer as an id; undefined without the option, null for no answer. */
  givenSession() {
    if (!this.settings.getSessionId) return undefined;
    let value;
    try {
      value = this.settings.getSessionId();
    } catch (error) {
      this.say('getSessionId() threw:', error);
      return null;
    }
    if (value === undefined || value === null) return null;
    const id = typeof value === 'number' ? numericSession(value) : String(value);
    if (id === null || !ID_PATTERN.test(id)) {
      this.say(`getSessionId() returned ${JSON.stringify(value)}, which is no session id (a whole number, or a string of ${ALLOWED_ID_CHARACTERS}): ignored`);
      return null;
    }
    return id;
  }

  /**
   * The device id for Segment's user: the user id when it can be one, else
   * the anonymous id; null for none usable. A user id that cannot be a
   * device id is said once (with `debug`); its identify reaches Segment all
   * the same.
   */
  deviceFor(userId, anonymousId) {
    if (this.fixedDevice) return null;
    if (userId !== undefined && userId !== null && userId !== '') {
      const id = String(userId);
      if (ID_PATTERN.test(id)) return id;
      if (!this.refusedUserIds.has(id)) {
        this.refusedUserIds.add(id);
        this.say(`user id ${JSON.stringify(id)} cannot be a replay's device id (1 to 128 of ${ALLOWED_ID_CHARACTERS}): the replay keeps the anonymous id`);
      }
    }
    if (anonymousId === undefined || anonymousId === null) return null;
    const anonymous = String(anonymousId);
    return ID_PATTERN.test(anonymous) ? anonymous : null;
  }

  /**
   * The analytics session an event names, if the replay is to move to it:
   * getSessionId()'s whenever it differs; else the larger of Amplitude's
   * and the cookie's when larger than the current one (an analytics
   * session always wins over rewind's own).
   */
  sessionFor(event, current) {
    const given = this.givenSession();
    if (given !== undefined) return given !== null && given !== current ? given : null;
    let best = null;
    for (const candidate of [event?.integrations?.[AMPLITUDE_INTEGRATION]?.session_id, this.sessionCookie()]) {
      const id = numericSession(candidate);
      if (id !== null && (best === null || Number(id) > Number(best))) best = id;
    }
    if (best === null || best === current) return null;
    if (!this.sessionIsAnalytics) return best;
    return Number(best) > Number(current) ? best : null;
  }

  /**
   * The session cookie, read at most once a second: parsing
   * document.cookie on every event would be most of the plugin's cost, and
   * the cookie changes once a session.
   */
  sessionCookie() {
    const now = Date.now();
    if (now - this.cookieReadAt >= COOKIE_READ_EVERY_MS) {
      this.cookieReadAt = now;
      this.cookieValue = readCookie(SESSION_COOKIE);
    }
    return this.cookieValue;
  }

  /** Moves the replay to `deviceId` and/or `sessionId` (null: keep). */
  switchTo(deviceId, sessionId, sessionIsAnalytics, ids = currentIds()) {
    if (!ids) return;
    const device = deviceId !== null && deviceId !== ids.deviceId ? deviceId : undefined;
    const session = sessionId !== null && sessionId !== ids.sessionId ? sessionId : undefined;
    if (session !== undefined && sessionIsAnalytics) this.sessionIsAnalytics = true;
    if (device === undefined && session === undefined) return;
    setSessionId(session, device).catch((error) => this.say('could not switch the replay:', error));
    if (session !== undefined && this.sessionIsAnalytics) this.writeSessionCookie(session);
  }

  /** Follows an event's user and session: a change is a new replay. */
  follow(event) {
    const ids = currentIds();
    if (!ids) return;
    const deviceId = this.deviceFor(event?.userId, event?.anonymousId);
    const sessionId = this.sessionFor(event, ids.sessionId);
    // The ids just read: one wasm crossing fewer on every event.
    this.switchTo(deviceId, sessionId, sessionId !== null, ids);
    if (this.sessionIsAnalytics && Date.now() - this.cookieWrittenAt > COOKIE_REFRESH_MS) {
      this.writeSessionCookie(currentIds()?.sessionId);
    }
  }

  followReset() {
    try {
      const user = this.instance.user();
      this.switchTo(this.deviceFor(user.id(), user.anonymousId()), null, false);
    } catch (error) {
      this.say('could not follow analytics.reset():', error);
    }
  }

  /** The session cookie, so the site's next page and Amplitude share the session. */
  writeSessionCookie(sessionId) {
    if (!sessionId) return;
    this.cookieWrittenAt = Date.now();
    this.cookieValue = String(sessionId);
    try {
      document.cookie = `${SESSION_COOKIE}=${sessionId}; path=/; max-age=${SESSION_COOKIE_MAX_AGE_S}; samesite=lax`;
    } catch (error) {
      this.say('could not write the session cookie:', error);
    }
  }

  /** Waits (boundedly) for rewind to start: an event at Segment's load is tagged too. */
  async whenStarted() {
    if (!this.started && this.starting) await Promise.race([this.starting, sleep(EVENT_WAIT_MS)]);
  }

  /**
   * The event of a hook's `ctx`, its user and session followed; null for
   * none. Synchronous: once rewind runs, a hook's whole work is done in
   * Segment's call, with no extra turn of the event loop.
   */
  followed(ctx) {
    const event = ctx?.event;
    if (event) this.follow(event);
    return event ?? null;
  }

  /** track, page, screen: follow the event's user and session, tag it, record it. */
  async enrich(ctx) {
    try {
      if (!this.started) await this.whenStarted();
      const event = this.followed(ctx);
      if (!event) return ctx;
      const replayId = getReplayId();
      // Sampled out or not recording: the event names no replay.
      if (replayId === null) return ctx;
      const properties = event.properties ?? (event.properties = {});
      // A value already there (the page's own, or "Replay Captured"'s) stays.
      if (properties[REPLAY_ID_PROPERTY] === undefined) properties[REPLAY_ID_PROPERTY] = replayId;
      if (this.settings.recordEvents) {
        const name = event.type === 'track' ? event.event : event.name;
        const payload = { type: event.type, name: name ?? null };
        if (event.type === 'page' && event.category) payload.category = event.category;
        addCustomEvent(CUSTOM_EVENT_TAG, payload).catch((error) => this.say('could not record the event:', error));
      }
    } catch (error) {
      this.say('could not tag an event:', error);
    }
    return ctx;
  }

  /**
   * identify: the replay follows the user (a new device id is a new
   * replay), and names them. Traits stay with Segment: they often hold an
   * email or a name, which a replay has no need of.
   */
  async identified(ctx) {
    try {
      if (!this.started) await this.whenStarted();
      const event = this.followed(ctx);
      if (!event) return ctx;
      if (event.userId !== undefined && event.userId !== null && event.userId !== '') {
        identify(String(event.userId)).catch((error) => this.say('could not name the user:', error));
      }
    } catch (error) {
      this.say('could not follow an identify:', error);
    }
    return ctx;
  }

  /** A chunk reached the endpoint: a replay's first one is "Replay Captured". */
  chunkDelivered(replayId, seq) {
    if (seq !== 0 || this.capturedReplays.has(replayId) || !this.instance) return;
    this.capturedReplays.add(replayId);
    const slash = replayId.indexOf('/');
    try {
      this.instance.track(REPLAY_CAPTURED_EVENT, {
        [REPLAY_ID_PROPERTY]: replayId,
        'Replay Device ID': replayId.slice(0, slash),
        'Replay Session ID': replayId.slice(slash + 1),
      });
    } catch (error) {
      this.say(`could not send "${REPLAY_CAPTURED_EVENT}":`, error);
    }
  }
}

/** A numeric session id (epoch ms) as a string, or null. */
function numericSession(value) {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  }
  if (typeof value === 'string' && NUMERIC_SESSION.test(value)) return value;
  return null;
}

function readCookie(name) {
  try {
    const prefix = `${name}=`;
    for (const part of document.cookie.split(';')) {
      const trimmed = part.trim();
      if (trimmed.startsWith(prefix)) return decodeURIComponent(trimmed.slice(prefix.length));
    }
  } catch (error) {
    // A sandboxed document without cookies: no cookie.
  }
  return null;
}
