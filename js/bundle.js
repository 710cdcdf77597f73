// Entry of the script-tag bundle dist/rewind.js. It takes over the global
// the snippet defined (window.RewindObject names it; 'Rewind' by default),
// replays the calls the snippet queued, in order, settling each queued
// call's promise with the real result, and keeps later calls in order
// behind them. Which functions there are, and which run in order, is
// js/api.js's list.
import {
  start,
  stop,
  identify,
  getSessionId,
  setSessionId,
  setDeviceId,
  log,
  addCustomEvent,
  flush,
  takeFullSnapshot,
  whenDelivered,
  getReplayId,
  getReplayStartTimestamp,
  isRecording,
  attachedCounts,
  memoryUsage,
} from './index.js';
import { QUEUED, DIRECT } from './api.js';
import { keepSnippetPlugin } from './segment-start.js';
import { setBundleScript } from './warm.js';
import { serveWarmUp } from './warm-worker.js';

// Named one by one, not `import * as`, so the bundle leaves out what only
// the npm entry offers (sentryIntegration, createSegmentPlugin) and loads
// the integrations as chunks of their own when start() is given them.
// tests/e2e/api-surface.test.mjs checks that the global has every function.
const api = {
  start,
  stop,
  identify,
  getSessionId,
  setSessionId,
  setDeviceId,
  log,
  addCustomEvent,
  flush,
  takeFullSnapshot,
  whenDelivered,
  getReplayId,
  getReplayStartTimestamp,
  isRecording,
  attachedCounts,
  memoryUsage,
};

// In the worker js/warm.js starts, the bundle warms the wasm instead: there
// is no page to take over there.
if (typeof window === 'undefined') serveWarmUp();
else takeOverTheGlobal();

function takeOverTheGlobal() {
  // Where the warm-up worker loads this bundle from, and where the files
  // beside it are.
  setBundleScript(document.currentScript);
  const name = window.RewindObject || 'Rewind';
  const stub = window[name];

  // Every asynchronous call waits for the ones before it, so a start() queued
  // before the bundle loaded runs before a log() made while it loads.
  let tail = Promise.resolve();
  function inOrder(method, args) {
    const run = tail.then(() => api[method](...args));
    tail = run.catch(() => {});
    return run;
  }

  const facade = {};
  for (const method of QUEUED) facade[method] = (...args) => inOrder(method, args);
  for (const method of DIRECT) facade[method] = (...args) => api[method](...args);
  window[name] = facade;

  // A queued call of a DIRECT function (the snippet's stub cannot know its
  // value before the bundle is here) runs in its turn too, so its promise
  // settles with what the function returns after the calls queued before it:
  // getReplayId() queued after start() gives the new replay's id.
  // The Segment plugin the snippet registered, for start({ segment }) to take over.
  keepSnippetPlugin(stub?._p);
  if (stub && Array.isArray(stub._q)) {
    for (const [method, args, resolve, reject] of stub._q.splice(0)) {
      // Not Object.hasOwn: Safari before 15.4 lacks it, and this runs on
      // every page that loads the bundle.
      if (!Object.prototype.hasOwnProperty.call(facade, method)) {
        resolve(undefined);
        continue;
      }
      inOrder(method, args).then(resolve, reject);
    }
  }
}
