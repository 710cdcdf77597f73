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
// REWIND_METHODS, REWIND_UNLOADED, REWIND_SEGMENT_PLUGIN and
// REWIND_SEGMENT_METHODS are no globals: the build (scripts/snippet.mjs)
// writes api.js's lists in their place, METHODS as one string of names
// separated by spaces and UNLOADED as a JSON string, and
// js/segment-start.js's plugin identity (an object literal) and methods
// (one string).
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
  // start({ segment: window.analytics }) registers a plugin with Segment at
  // once, in the call's turn. analytics.js may load before the bundle does
  // and send the page's first page() call: registered by the bundle, the
  // plugin came too late to tag it. This one holds each call Segment makes
  // (load, page, track, ...) until the bundle takes it over (js/bundle.js,
  // js/segment-start.js) and hands the held calls on in order; should the
  // bundle not come, each held call goes on as it came after 5 s, and once
  // one has, later ones pass at once.
  var plugin;
  var held = [];
  var late;
  var queueStart = stub.start;
  stub.start = function (options) {
    var segment = options && options.segment;
    var analytics = segment && (segment.register ? segment : segment.analytics);
    // Handed Segment's stub after analytics.js replaced it (the page kept
    // window.analytics from before): the stub's queue is read no more, so
    // the plugin goes to the loaded instance, as js/segment-start.js does.
    var loaded = w.analytics;
    if (Array.isArray(analytics) && loaded && !Array.isArray(loaded) && typeof loaded.register == 'function') analytics = loaded;
    if (!plugin && analytics && typeof analytics.register == 'function') {
      plugin = stub._p = REWIND_SEGMENT_PLUGIN;
      plugin.isLoaded = function () {
        return true;
      };
      plugin._w = held;
      plugin._t = analytics;
      REWIND_SEGMENT_METHODS.split(' ').forEach(function (method) {
        plugin[method] = function () {
          var args = arguments;
          return late
            ? args[0]
            : new Promise(function (resolve) {
                held.push([method, args, resolve]);
                setTimeout(function () {
                  late = 1;
                  resolve(args[0]);
                }, 5000);
              });
        };
      });
      // What Segment made of it: nothing, or { error } (the bundle reads it).
      try {
        plugin._r = Promise.resolve(analytics.register(plugin)).then(
          function () {},
          function (error) {
            return { error: error };
          },
        );
      } catch (error) {
        plugin._r = Promise.resolve({ error: error });
      }
    }
    return queueStart.apply(this, arguments);
  };
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
    late = 1;
    held.splice(0).forEach(function (call) {
      call[2](call[1][0]);
    });
  };
  (d.head || d.documentElement).appendChild(script);
})(window, document, 'Rewind', '/rewind/rewind.js');
