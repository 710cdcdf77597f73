// rewind's public API, as data: the one list of its functions. The
// script-tag bundle (js/bundle.js) builds window.Rewind from it, the build
// (scripts/snippet.mjs) writes it into the snippet's stub, and
// tests/e2e/api-surface.test.mjs checks that js/index.js exports exactly
// these functions and js/index.d.ts declares each.

/**
 * Functions that return a promise. Through the script-tag global they run
 * one after another, in call order, whether called before the bundle has
 * loaded (queued by the snippet) or after.
 */
export const QUEUED = [
  'start',
  'stop',
  'identify',
  'getSessionId',
  'setSessionId',
  'setDeviceId',
  'log',
  'addCustomEvent',
  'flush',
  'takeFullSnapshot',
  'whenDelivered',
];

/**
 * Functions that return their value at once (attachedCounts a promise)
 * once the bundle has loaded. Before that the snippet's stub cannot know
 * the value: it queues the call like the others and returns a promise of
 * what the loaded function returns when the call runs in its turn.
 */
export const DIRECT = ['getReplayId', 'getReplayStartTimestamp', 'isRecording', 'attachedCounts', 'memoryUsage'];

/** Every function of the API. */
export const METHODS = [...QUEUED, ...DIRECT];

/**
 * Exports of the npm entry (js/index.js, declared in index.d.ts) that are
 * not on the script-tag global: Sentry.init() needs sentryIntegration()'s
 * object at once, and analytics.register() createSegmentPlugin()'s, which
 * a queued call cannot give. A page with the snippet writes
 * `Rewind.start({ sentry: { … } })` or `Rewind.start({ segment: window.analytics })`.
 */
export const NPM_ONLY = ['sentryIntegration', 'createSegmentPlugin'];

/**
 * What a call through the snippet resolves to when the bundle cannot load
 * (a 404): what js/index.js returns when its wasm cannot load. A function
 * not named here resolves to undefined; getSessionId() rejects, saying why.
 */
export const UNLOADED = {
  getReplayId: null,
  getReplayStartTimestamp: null,
  isRecording: false,
  whenDelivered: false,
  attachedCounts: { listeners: 0, observers: 0, timers: 0, hooks: 0 },
  memoryUsage: { wasmBytes: 0, buffering: false, bufferedBytes: 0 },
};
