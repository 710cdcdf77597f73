// Entry of the script-tag bundle dist/rewind.js: webpack exposes these
// exports as `window.Rewind` (see webpack.config.js).
export {
  start,
  stop,
  takeFullSnapshot,
  log,
  getReplayId,
  getSessionId,
  isRecording,
  whenDelivered,
} from './index.js';
