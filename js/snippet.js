// The script-tag snippet (minified into dist/snippet.min.js by the build).
// It defines window[name] at once with every function of rewind's API
// (js/api.js), each of which queues its call and returns a promise, then
// loads the bundle, which replays the queue in order and settles each
// promise with the real result: for the functions that return their value
// at once when loaded (getReplayId and the others of api.js's DIRECT), a
// promise of the value the loaded function returns in the call's turn. If
// the bundle cannot load, every call resolves to what js/index.js gives
// when its wasm cannot load (api.js's UNLOADED: null, false, zeros, or
// undefined); only getSessionId rejects, saying why.
//
// REWIND_METHODS and REWIND_UNLOADED are no globals: the build
// (scripts/snippet.mjs) writes api.js's lists in their place, METHODS as
// one string of names separated by spaces and UNLOADED as a JSON string.
(function (w, d, name, src) {
  w.RewindObject = name;
  var stub = (w[name] = w[name] || {});
  var queue = (stub._q = stub._q || []);
  var methods = REWIND_METHODS.split(' ');
  methods.forEach(function (method) {
    stub[method] = function () {
      var args = [].slice.call(arguments);
      return new Promise(function (resolve, reject) {
        queue.push([method, args, resolve, reject]);
      });
    };
  });
  var script = d.createElement('script');
  script.async = true;
  script.src = src;
  script.onerror = function () {
    var failure = new Error('rewind could not load ' + src);
    var settle = function (method, resolve, reject) {
      if (method == 'getSessionId') reject(failure);
      // Parsed for each call, so no two callers share an object.
      else resolve(JSON.parse(REWIND_UNLOADED)[method]);
    };
    methods.forEach(function (method) {
      stub[method] = function () {
        return new Promise(function (resolve, reject) {
          settle(method, resolve, reject);
        });
      };
    });
    queue.splice(0).forEach(function (call) {
      settle(call[0], call[2], call[3]);
    });
  };
  (d.head || d.documentElement).appendChild(script);
})(window, document, 'Rewind', '/rewind/rewind.js');
