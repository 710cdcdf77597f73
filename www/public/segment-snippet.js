// What Segment's analytics.js snippet (version 5) does, written out once for
// the demo app and the Segment tests' page: window.analytics becomes a stub
// whose methods queue [method, ...args] until analytics.js loads and takes
// the queue over; load(writeKey) adds analytics.js's script from `cdn` (the
// demo server's stand-in for Segment's CDN, www/segment-endpoint.mjs).
// A site pastes Segment's own snippet instead, which does the same inline.
window.segmentSnippet = function (writeKey, cdn) {
  var analytics = (window.analytics = window.analytics || []);
  if (analytics.initialize || analytics.invoked) return analytics;
  analytics.invoked = true;
  analytics.methods = ['trackSubmit', 'trackClick', 'trackLink', 'trackForm', 'pageview', 'identify', 'reset', 'group', 'track', 'ready', 'alias', 'debug', 'page', 'screen', 'once', 'off', 'on', 'addSourceMiddleware', 'addIntegrationMiddleware', 'setAnonymousId', 'addDestinationMiddleware', 'register'];
  analytics.factory = function (method) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      args.unshift(method);
      analytics.push(args);
      return analytics;
    };
  };
  for (var i = 0; i < analytics.methods.length; i++) {
    analytics[analytics.methods[i]] = analytics.factory(analytics.methods[i]);
  }
  analytics.load = function (key, options) {
    var script = document.createElement('script');
    script.async = true;
    script.src = analytics._cdn + '/analytics.js/v1/' + key + '/analytics.min.js';
    document.head.appendChild(script);
    analytics._loadOptions = options;
  };
  analytics._writeKey = writeKey;
  analytics._cdn = cdn;
  analytics.SNIPPET_VERSION = '5.2.1';
  return analytics;
};
