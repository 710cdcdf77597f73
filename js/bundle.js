// Entry of the script-tag bundle dist/rewind.js. It takes over the global
// the snippet defined (window.RewindObject names it; 'Rewind' by default),
// replays the calls the snippet queued, in order, settling each queued
// call's promise with the real result, and keeps later calls in order
// behind them.
import * as api from './index.js';

const ORDERED = ['start', 'stop', 'identify', 'getSessionId', 'log', 'flush', 'takeFullSnapshot', 'whenDelivered'];
const DIRECT = ['getReplayId', 'isRecording', 'attachedCounts', 'memoryUsage'];

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
for (const method of ORDERED) facade[method] = (...args) => inOrder(method, args);
for (const method of DIRECT) facade[method] = (...args) => api[method](...args);
window[name] = facade;

if (stub && Array.isArray(stub._q)) {
  for (const [method, args, resolve, reject] of stub._q.splice(0)) {
    const target = facade[method];
    if (typeof target !== 'function') {
      resolve(undefined);
      continue;
    }
    Promise.resolve(target(...args)).then(resolve, reject);
  }
}
