/** An rrweb-compatible replay event: `{ type, data, timestamp }` (epoch ms). */
export interface ReplayEvent {
  /** rrweb's EventType: 2 FullSnapshot, 3 IncrementalSnapshot, 4 Meta, 5 Custom, 6 Plugin. */
  type: number;
  data: unknown;
  timestamp: number;
}

/**
 * Options of `start()`. They are checked once, at `start()`: an unknown key
 * (a typo such as `sampelRate`) or a wrong type or range rejects with a
 * message naming the key and what it allows. A key set to `undefined` counts
 * as not given. `endpoint` or `emit` is required.
 */
export interface StartOptions {
  /** URL the gzip chunks are POSTed to (http or https; relative URLs resolve against the page). */
  endpoint?: string;
  /** Sent as `Authorization: Bearer <apiKey>`: printable ASCII, no spaces. */
  apiKey?: string;
  /** Who is recorded: 1-128 of `a-z A-Z 0-9 _ - . | @ : =`. Default: a generated id kept in localStorage. */
  deviceId?: string;
  /** A whole number or a string of the same characters. Default: epoch ms, kept in sessionStorage; a supplied id never rotates. */
  sessionId?: string | number;
  /** `identify(userId)` makes the user id the device id (a new replay `<userId>/<sessionId>`). Default `false`. */
  userIdAsDeviceId?: boolean;
  /** Share of sessions recorded, 0 to 1, decided from the session id. Default `1`. */
  sampleRate?: number;
  /** Mask the value of every input, textarea and select. Default `true`. Password and card fields are always masked. */
  maskAllInputs?: boolean;
  /** Mask every text node (`*` per non-blank character). Default `false`. */
  maskAllText?: boolean;
  /** Text inside elements matching this CSS selector is masked (like the `rw-mask` class). */
  maskTextSelector?: string;
  /** Elements matching this CSS selector are recorded as empty placeholders of their size (like `rw-block`). */
  blockSelector?: string;
  /** Input into fields matching this CSS selector is not recorded (like `rw-ignore`). */
  ignoreSelector?: string;
  /** Take a fresh full snapshot this often, in milliseconds (1000-86400000). */
  checkoutEveryNms?: number;
  /** Take a fresh full snapshot after this many incremental events (1-1000000). */
  checkoutEveryNth?: number;
  /** How often gathered events are sealed into a chunk, ms (100-600000). Default `5000`. */
  flushIntervalMs?: number;
  /** A chunk is sealed before it passes this many bytes of JSON (16384-16777216). Default `1048576`. */
  maxChunkBytes?: number;
  /** A generated session ends after this long without user activity, ms. Default 30 min. */
  sessionIdleTimeoutMs?: number;
  /** A generated session ends after this long even while active, ms. Default 4 h. */
  maxSessionDurationMs?: number;
  /** Undelivered chunks beyond this many bytes are dropped, oldest first. Default 20 MiB. */
  maxOutboxBytes?: number;
  /** Undelivered chunks older than this are dropped, ms. Default 7 days. */
  maxOutboxAgeMs?: number;
  /** A request with no answer by then counts as failed and is retried, ms. Default `30000`. */
  requestTimeoutMs?: number;
  /** Log what rewind does to the console, prefixed `[rewind]`. Default `false`. */
  debug?: boolean;
  /** Called with each event as it is recorded; what it throws is the page's, rewind keeps recording. */
  emit?: (event: ReplayEvent) => void;
  /**
   * Tag the page's Sentry error events with the replay (`contexts.rewind`
   * and the tag `rewind.replay_id`): `start()` attaches to
   * `window.Sentry`'s client (@sentry/browser v8 and later) and/or
   * `window.Raven` (raven-js 3.x), now or once they are set up. With npm,
   * `sentryIntegration()` reads this key instead. Checked in JS; `true`
   * means `{}`, `false` or `undefined` not given.
   */
  sentry?: boolean | SentryOptions;
  /**
   * Link the replay to the page's Segment (`window.analytics`: the snippet's
   * stub, the loaded analytics.js or an AnalyticsBrowser): rewind registers
   * its Segment plugin there and starts recording once Segment has loaded
   * (after 3 s without Segment, on its own ids). Or
   * `{ analytics, getSessionId?, trackReplayCaptured?, recordEvents? }`.
   * Checked in JS; see `createSegmentPlugin()`.
   */
  segment?: SegmentLike | (SegmentPluginOwnOptions & { analytics: SegmentLike });
}

/** Segment's analytics object, or its snippet's stub: anything with `register()`. */
export interface SegmentLike {
  register(...plugins: any[]): unknown;
}

/** The Segment plugin's own options. */
export interface SegmentPluginOwnOptions {
  /**
   * The session to record under, asked on every event (the recipe for
   * Amplitude Classic, device-mode and cloud-mode): a whole number (epoch
   * ms, as Amplitude's) or a string of `a-z A-Z 0-9 _ - . | @ : =`; a new
   * one starts a new replay.
   */
  getSessionId?: () => number | string | null | undefined;
  /** Send a "Replay Captured" track event once a replay's first chunk is accepted. Default `false`. */
  trackReplayCaptured?: boolean;
  /** Put each track/page/screen event's name in the replay's timeline (Custom events tagged `segment`). Default `true`. */
  recordEvents?: boolean;
}

/** `createSegmentPlugin()`'s options: the plugin's own and `start()`'s. */
export interface SegmentPluginOptions extends SegmentPluginOwnOptions, Omit<StartOptions, 'segment'> {
  /** Segment's analytics (an AnalyticsBrowser or `window.analytics`): lets the plugin notice a Segment that fails to load. */
  analytics?: SegmentLike;
}

/** An @segment/analytics-next plugin of type `enrichment`. */
export interface RewindSegmentPlugin {
  name: 'Rewind Session Replay';
  type: 'enrichment';
  version: string;
  isLoaded(): boolean;
  load(ctx: any, analytics: any): Promise<void>;
  unload(): void;
  track(ctx: any): Promise<any>;
  page(ctx: any): Promise<any>;
  screen(ctx: any): Promise<any>;
  identify(ctx: any): Promise<any>;
}

/** The `sentry` option: how Sentry events link to their replay. */
export interface SentryOptions {
  /**
   * A template for `contexts.rewind.replay_url`, e.g.
   * `https://replays.example/player.html?replay={replayId}&t={timestamp}`.
   * Placeholders: `{replayId}`, `{deviceId}`, `{sessionId}`, `{timestamp}`
   * (the error's time, epoch ms) and `{replayStartTimestamp}`; each value is
   * `encodeURIComponent`-ed. Any other `{name}` is rejected.
   */
  replayUrl?: string;
}

/** What an error event of Sentry carries as `contexts.rewind` while a replay records. */
export interface RewindSentryContext {
  /** `<deviceId>/<sessionId>`. */
  replay_id: string;
  device_id: string;
  session_id: string;
  /** The error's time, epoch ms. */
  timestamp: number;
  /** The time of the replay's first event, epoch ms (`getReplayStartTimestamp()`). */
  replay_start_timestamp: number | null;
  /** The `replayUrl` template filled in; absent without one. */
  replay_url?: string;
}

/** The part of a Sentry client (v8 and later) the integration uses. */
export interface SentryClientLike {
  addEventProcessor(processor: (event: any, hint?: any) => any): void;
  on?(hook: 'afterSendEvent', callback: (event: any, response: any) => void): unknown;
}

/** A Sentry integration (@sentry/browser v8 and later). */
export interface RewindSentryIntegration {
  name: 'Rewind';
  setup(client: SentryClientLike): void;
}

/** What rewind has attached to the page. */
export interface AttachedCounts {
  listeners: number;
  observers: number;
  timers: number;
  hooks: number;
}

// The functions below are rewind's whole API (js/api.js lists them). The
// script-tag global (`window.Rewind`) has the same ones: once the bundle has
// loaded they return what is declared here. Before that the snippet's stub
// queues every call and returns a Promise, also for `getReplayId`,
// `isRecording`, `attachedCounts` and `memoryUsage`, which then resolves, in
// the call's turn (after the calls queued before it), to what the loaded
// function returns; if the bundle cannot load, to what these return when the
// wasm cannot load (`null`, `false`, zeros). `await` works on either.

/**
 * Starts recording: a Meta event and a full snapshot now, or at
 * DOMContentLoaded when called while the page is still parsing. A large
 * page's snapshot is written in slices of about 16 ms between the page's own
 * tasks; the promise resolves once it is complete. A second call
 * while recording does nothing. Rejects only for invalid options; if rewind
 * cannot load (a CSP without 'wasm-unsafe-eval', a 404) it resolves and
 * records nothing.
 */
export function start(options: StartOptions): Promise<void>;
/** Stops recording; resolves once the last chunk is stored for delivery (which goes on). */
export function stop(): Promise<void>;
/**
 * Attaches a user to the replay: a Custom event `identify` and `user` in the
 * metadata of every later chunk. Rejects for an empty or overlong user id, or,
 * with `userIdAsDeviceId`, one that is not a valid device id. Called before
 * `start()`, it names the user (and, with `userIdAsDeviceId`, the device) of
 * the recording that starts, from its first chunk; the latest such call wins.
 * After `stop()` and before the next `start()` it does nothing.
 */
export function identify(userId: string, traits?: Record<string, unknown>): Promise<void>;
/** Seals what was recorded so far into a chunk now; resolves once it is stored. */
export function flush(): Promise<void>;
/**
 * Continues the recording as the replay `<deviceId>/<sessionId>`; either
 * may be undefined to keep the current one. The current replay ends with
 * what it recorded, and the new one starts at seq 0 with a full snapshot.
 * A session named so is the page's and does not end by idleness; its
 * sampling is decided afresh. Rejects for an invalid id; ignored while not
 * recording.
 */
export function setSessionId(sessionId: number | string | undefined, deviceId?: string): Promise<void>;
/** Continues the recording under another device id (a new replay, see `setSessionId`). */
export function setDeviceId(deviceId: string): Promise<void>;
/**
 * Adds a Custom event `{ tag, payload }` (rrweb's `addCustomEvent`) to the
 * timeline. Rejects for an empty tag or one over 100 characters; dropped
 * while not recording.
 */
export function addCustomEvent(tag: string, payload?: unknown): Promise<void>;
/**
 * Adds a Custom event `{ tag: "log", payload: { message, data } }` to the
 * timeline. Calls made before `start()` (up to 100) are recorded, in order,
 * right after the first full snapshot; after `stop()` a call is dropped.
 */
export function log(message: string, data?: unknown): Promise<void>;
/** Takes a fresh Meta event and full snapshot now (a checkout); resolves once it is complete. */
export function takeFullSnapshot(): Promise<void>;
/**
 * `<deviceId>/<sessionId>` while recording, else `null`.
 *
 * Through the script-tag snippet, before the bundle has loaded,
 * `Rewind.getReplayId()` cannot know the id yet and returns a
 * `Promise<string | null>` instead: the call is queued and resolves to what
 * this function returns in the call's turn, so after a queued `start()` to the
 * new replay's id; to `null` if the bundle cannot load. `await
 * Rewind.getReplayId()` works before and after the bundle has loaded.
 */
export function getReplayId(): string | null;
/**
 * The time (epoch ms) of the current replay's first event, where a player
 * starts it; `null` when not recording. Through the script-tag snippet,
 * before the bundle has loaded: a `Promise` of it.
 */
export function getReplayStartTimestamp(): number | null;
/**
 * The session id (`null` when not recording); `callback`, if given, is called
 * with it. Rejects, saying why, when rewind could not load.
 */
export function getSessionId(callback?: (sessionId: string | null) => void): Promise<string | null>;
/**
 * Whether a recording runs. Through the script-tag snippet, before the bundle
 * has loaded: a `Promise` of it (`false` if the bundle cannot load).
 */
export function isRecording(): boolean;
/** Resolves `true` once every stored chunk is delivered, `false` after `timeoutMs` (default 30000). */
export function whenDelivered(timeoutMs?: number): Promise<boolean>;
/**
 * What rewind has attached to the page now (for tests and audits). Through
 * the script-tag snippet, before the bundle has loaded, it resolves in the
 * call's turn (all zeros if the bundle cannot load).
 */
export function attachedCounts(): Promise<AttachedCounts>;
/**
 * Memory rewind holds outside the JS heap: the size of its WebAssembly
 * memory in bytes (0 before it has loaded). It only grows, so it is the
 * recording's high-water mark. Through the script-tag snippet, before the
 * bundle has loaded: a `Promise` of it (`{ wasmBytes: 0 }` if the bundle
 * cannot load).
 */
export function memoryUsage(): { wasmBytes: number; buffering: boolean; bufferedBytes: number };
/**
 * npm only (not on the script-tag global, where `start({ sentry })` does
 * this): Sentry's integration, for `Sentry.init({ integrations:
 * [sentryIntegration(options)] })`. Once Sentry sets it up, it starts rewind
 * with `options` (those of `start()`; their `sentry` key holds `replayUrl`)
 * and hooks the client: every error event (one without a `type`) then
 * carries `contexts.rewind` ({@link RewindSentryContext}) and the tag
 * `rewind.replay_id` while rewind records, and the client sending one
 * triggers `flush()` (in buffer mode, the flush of the buffered replay).
 * Without `options` it only hooks the client, for a rewind started
 * elsewhere. It never throws into Sentry nor delays its events: invalid
 * options are reported with `console.warn`, and rewind then does not record.
 */
export function sentryIntegration(options?: StartOptions): RewindSentryIntegration;
/**
 * The Segment plugin (@segment/analytics-next):
 * `analytics.register(createSegmentPlugin({ analytics, ...startOptions }))`.
 * It starts rewind once Segment has loaded, records under Segment's user
 * (user id, else anonymous id) and analytics session, and adds
 * `properties["Session Replay ID"]` to track, page and screen events.
 * Throws for an invalid option of its own; start()'s are checked when
 * rewind starts (reported with console.warn).
 */
export function createSegmentPlugin(options?: SegmentPluginOptions): RewindSegmentPlugin;
