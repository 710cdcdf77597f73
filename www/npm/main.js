// rewind used as an npm package, bundled by webpack 5 (www/dist/npm-demo.js,
// served at /npm.html). 'rewind' resolves to the package wasm-pack built in
// pkg/ (webpack.config.js aliases it, as node_modules/rewind would after
// `npm install`).
import { start, log, getReplayId, getSessionId, stop, flush, identify } from 'rewind';

const events = [];
window.npmDemo = { events, stop, flush, identify, getSessionId };

// Calls made before start() are kept for the recording that starts: the
// user is named from its first chunk, the line follows its first snapshot.
identify('npm-user-1', { plan: 'trial' });
log('before start from the npm build');

start({ emit: (event) => events.push(event) }).then(() => {
  log('started from the npm build');
  document.querySelector('#replay-id').textContent = getReplayId();
});
