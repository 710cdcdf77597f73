// The script-tag snippet (minified into dist/snippet.min.js by the build).
// It defines window[name] at once with methods that queue their calls and
// return promises, then loads the bundle, which replays the queue in order.
// If the bundle cannot load, every method becomes a quiet no-op; only
// getSessionId rejects, saying why.
(function (w, d, name, src) {
  w.RewindObject = name;
  var stub = (w[name] = w[name] || {});
  var queue = (stub._q = stub._q || []);
  var methods = 'start stop identify getSessionId log flush getReplayId'.split(' ');
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
      else resolve(method == 'getReplayId' ? null : undefined);
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
