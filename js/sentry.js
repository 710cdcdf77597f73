// Sentry. Error events of the page's Sentry client (@sentry/browser v8 and
// later, or the legacy raven-js 3.x) carry the replay they happened in:
// `contexts.rewind` and the tag `rewind.replay_id`. Sentry's client sending
// one triggers flush(), which in buffer mode sends the buffered replay.
// Nothing here may throw into Sentry or hold its event back: every hook is
// synchronous, guarded, and hands the event on whatever happens.
//
// A module of its own, loaded by start({ sentry }) (and imported by the npm
// entry for sentryIntegration()), so pages without Sentry never fetch it.
import { start, flush, getReplayId, getReplayStartTimestamp, isRecording, warn } from './index.js';

/** What a `replayUrl` template may name, each filled encodeURIComponent-ed. */
const REPLAY_URL_FIELDS = ['replayId', 'deviceId', 'sessionId', 'timestamp', 'replayStartTimestamp'];

/**
 * The `sentry` key of start()'s options, checked: `{ replayUrl? }` (`true`
 * for `{}`); null when absent, `undefined` or `false`.
 */
export function readSentryOption(options) {
  const value = options?.sentry;
  if (value === undefined || value === false) return null;
  if (value === true) return {};
  const allowed = `true or { replayUrl: 'https://…?replay={replayId}&t={timestamp}' }`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`rewind option 'sentry' must be ${allowed}, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'replayUrl' && value[key] !== undefined) throw new Error(`unknown key '${key}' in rewind option 'sentry': it must be ${allowed}`);
  }
  const { replayUrl } = value;
  if (replayUrl !== undefined) {
    if (typeof replayUrl !== 'string' || replayUrl.trim() === '') {
      throw new Error(`rewind option 'sentry.replayUrl' must be a URL template such as 'https://replays.example/?replay={replayId}&t={timestamp}', got ${typeof replayUrl === 'string' ? 'an empty string' : typeof replayUrl}`);
    }
    for (const [placeholder, name] of replayUrl.matchAll(/\{(\w*)\}/g)) {
      if (!REPLAY_URL_FIELDS.includes(name)) {
        throw new Error(`rewind option 'sentry.replayUrl' names ${placeholder}, which is none of {${REPLAY_URL_FIELDS.join('}, {')}}`);
      }
    }
  }
  return { replayUrl };
}

/**
 * Adds `contexts.rewind` and the tag `rewind.replay_id` to an error event
 * (one without a `type`: not a transaction, session or feedback) while a
 * replay records; `timeMs` is the error's time (epoch ms). Returns whether
 * the event got them.
 */
function tagEvent(event, settings, timeMs) {
  const replayId = getReplayId();
  if (!replayId || !event || typeof event !== 'object' || event.type) return false;
  const slash = replayId.indexOf('/');
  const fields = {
    replayId,
    deviceId: replayId.slice(0, slash),
    sessionId: replayId.slice(slash + 1),
    timestamp: Number.isFinite(timeMs) ? Math.round(timeMs) : Date.now(),
    replayStartTimestamp: getReplayStartTimestamp(),
  };
  const context = {
    replay_id: fields.replayId,
    device_id: fields.deviceId,
    session_id: fields.sessionId,
    timestamp: fields.timestamp,
    replay_start_timestamp: fields.replayStartTimestamp,
  };
  if (settings.replayUrl) {
    context.replay_url = settings.replayUrl.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(fields[name] ?? ''));
  }
  event.contexts = { ...event.contexts, rewind: context };
  event.tags = { ...event.tags, 'rewind.replay_id': replayId };
  return true;
}

// An error event seals what was recorded into a chunk at once, so the
// moments before it reach the endpoint now (in buffer mode: the trigger).
// An error storm flushes once a second at most.
let lastErrorFlush = -Infinity;
function flushForError() {
  const now = Date.now();
  if (!isRecording() || now - lastErrorFlush < 1000) return;
  lastErrorFlush = now;
  flush().catch((error) => warn('flush after a Sentry event failed:', error));
}

// Each Sentry client and Raven object is hooked once; a later attach (a new
// start() with another replayUrl) only changes its settings.
const attached = new WeakMap();

function settingsHolder(target, settings) {
  const known = attached.get(target);
  if (known) known.settings = settings;
  else attached.set(target, { settings });
  return known ? null : attached.get(target);
}

/**
 * Hooks a Sentry client (v8 and later): an event processor tags error
 * events, and the client's `afterSendEvent` hook flushes once one is sent
 * (without the hook, the processor schedules the flush).
 */
function attachToClient(client, settings) {
  if (typeof client?.addEventProcessor !== 'function') return false;
  const holder = settingsHolder(client, settings);
  if (!holder) return true;
  const hooks = typeof client.on === 'function';
  client.addEventProcessor((event) => {
    try {
      // Sentry's timestamps are seconds.
      if (tagEvent(event, holder.settings, event.timestamp * 1000) && !hooks) setTimeout(flushForError, 0);
    } catch (error) {
      warn('could not tag a Sentry event:', error);
    }
    return event;
  });
  if (hooks) {
    client.on('afterSendEvent', (event) => {
      try {
        if (event && !event.type) flushForError();
      } catch (error) {
        warn('could not flush after a Sentry event:', error);
      }
    });
  }
  return true;
}

/**
 * Hooks raven-js 3.x through `Raven.setDataCallback`, which hands our
 * callback the page's earlier one: it runs first, as it did without rewind.
 */
function attachToRaven(raven, settings) {
  if (typeof raven?.setDataCallback !== 'function') return false;
  if (typeof raven.isSetup === 'function' && !raven.isSetup()) return false;
  const holder = settingsHolder(raven, settings);
  if (!holder) return true;
  raven.setDataCallback((data, previous) => {
    // What the page's own callback does (throws included) is the page's.
    if (typeof previous === 'function') data = previous(data) || data;
    try {
      if (tagEvent(data, holder.settings, Date.now())) setTimeout(flushForError, 0);
    } catch (error) {
      warn('could not tag a Raven event:', error);
    }
    return data;
  });
  return true;
}

/**
 * start({ sentry }): hooks the page's `window.Sentry` client and/or
 * `window.Raven`. Either may be set up after rewind has loaded, so it looks
 * again, 100 ms later and then twice as long each time (for about 50 s).
 */
export function attachToPage(settings, attempt = 0) {
  let found = false;
  try {
    const scope = globalThis;
    const client = typeof scope.Sentry?.getClient === 'function' ? scope.Sentry.getClient() : null;
    if (client) found = attachToClient(client, settings);
    if (scope.Raven) found = attachToRaven(scope.Raven, settings) || found;
  } catch (error) {
    warn('could not attach to Sentry:', error);
    return;
  }
  if (found) return;
  if (attempt < 9) setTimeout(() => attachToPage(settings, attempt + 1), 100 * 2 ** attempt);
  else warn('option sentry: found no Sentry client (window.Sentry.getClient()) nor a set-up window.Raven to attach to');
}

/**
 * Sentry's integration (@sentry/browser v8 and later):
 * `Sentry.init({ integrations: [sentryIntegration(options)] })`. When Sentry
 * sets it up, it hooks the client and starts rewind with `options` (those
 * of start(); their `sentry` key holds `replayUrl`). Without options it only
 * hooks the client, for a rewind started elsewhere. It never throws into
 * Sentry: invalid options are reported with console.warn, and rewind does
 * not record.
 * @param {import('./index').StartOptions} [options]
 */
export function sentryIntegration(options) {
  let settings = {};
  let problem = null;
  try {
    settings = readSentryOption(options) ?? {};
  } catch (error) {
    problem = error;
  }
  const report = (error) => {
    try {
      console.warn(`[rewind] sentryIntegration: not recording: ${error?.message ?? error}`);
    } catch (ignored) {
      // No console: nothing to tell.
    }
  };
  return {
    name: 'Rewind',
    setup(client) {
      if (problem) return report(problem);
      try {
        attachToClient(client, settings);
        if (options !== undefined) {
          const rest = { ...options };
          delete rest.sentry;
          start(rest).catch(report);
        }
      } catch (error) {
        report(error);
      }
    },
  };
}
