// What of the Segment plugin the script-tag bundle carries: a plugin shell
// that start({ segment }) registers with Segment at once, in the same turn
// as the call, while the plugin itself (segment.js, 3 KB gzip that a page
// without Segment never needs) loads as a file of its own,
// rewind-segment.js (js/parts-script.js). Registered late, the plugin
// missed the page's first page() call; the shell is there for it, and each
// event it gets waits for the plugin (a local file, fetched once) before
// the plugin tags it. Should the plugin fail to load, or start({ segment }) be
// given options the plugin refuses, the shell hands every event on as it
// came, and Segment never notices. With the snippet, even the bundle may
// come after analytics.js: then the snippet registered a plugin in the
// call's turn (js/snippet.js), and the shell goes behind that one instead.
/** The plugin's name, type and version, as Segment lists it. */
export const PLUGIN_IDENTITY = { name: 'Rewind Session Replay', type: 'enrichment', version: '1.0.0' };

/** The methods Segment calls on a plugin; the snippet's plugin holds each of them too. */
export const PLUGIN_METHODS = ['load', 'unload', 'track', 'page', 'screen', 'identify'];

/**
 * A Segment plugin whose methods wait for the real plugin, which
 * `shell.attach(plugin)` hands over (`attach(null)`: none will come).
 */
export function pluginShell() {
  let plugin;
  let arrived;
  const arrival = new Promise((resolve) => {
    arrived = resolve;
  });
  const shell = { ...PLUGIN_IDENTITY, isLoaded: () => true };
  for (const method of PLUGIN_METHODS) {
    shell[method] = (ctx, ...rest) => {
      if (plugin !== undefined) return plugin ? plugin[method](ctx, ...rest) : ctx;
      return arrival.then((found) => (found ? found[method](ctx, ...rest) : ctx));
    };
  }
  shell.attach = (found) => {
    if (plugin !== undefined) return;
    plugin = found;
    arrived(found);
  };
  return shell;
}

/** Whether `value` can take a plugin: analytics.js's object or its snippet stub. */
export function isSegment(value) {
  return value !== null && typeof value === 'object' && typeof value.register === 'function';
}

/**
 * Registers `plugin` with `target`. The snippet's stub, handed over before
 * rewind's bundle ran, may have been replaced by analytics.js since, which
 * has read its queue: the plugin goes to the loaded instance then. Returns
 * where it went and `outcome`, a promise of null, or of `{ error }` when
 * Segment refused it or failed to load; an error there is Segment's, and
 * never thrown into the caller.
 */
export function registerPlugin(target, plugin) {
  const global = globalThis.analytics;
  if (Array.isArray(target) && global !== target && isSegment(global) && !Array.isArray(global)) target = global;
  let outcome = Promise.resolve(null);
  try {
    const registered = target.register(plugin);
    if (typeof registered?.then === 'function' && !Array.isArray(registered)) {
      outcome = Promise.resolve(registered).then(() => null, (error) => ({ error }));
    }
  } catch (error) {
    outcome = Promise.resolve({ error });
  }
  return { target, outcome };
}

let shell = null;
let snippetPlugin = null;

/**
 * js/bundle.js hands over the plugin the snippet registered with Segment
 * when start({ segment }) was called before the bundle loaded (js/snippet.js
 * says why), or undefined. The first start({ segment }) takes it over.
 */
export function keepSnippetPlugin(plugin) {
  snippetPlugin = plugin ?? null;
}

/**
 * Makes the snippet's plugin, which Segment holds, a front for `shell`:
 * the calls it held go to the shell now, in the order Segment made them
 * (those it already let go after waiting too long too, so that the plugin
 * still gets Segment's load and sees each event), and later ones at once.
 * Returns the registration as registerPlugin() does.
 */
function takeOverSnippetPlugin(plugin, shell) {
  for (const method of PLUGIN_METHODS) plugin[method] = shell[method];
  for (const [method, args, resolve] of plugin._w.splice(0)) resolve(shell[method](...args));
  // `_r` settles to nothing or `{ error }`, as registerPlugin's outcome does (null for nothing).
  return { target: plugin._t, outcome: Promise.resolve(plugin._r) };
}

/**
 * start({ segment: window.analytics, ... }) in the script-tag bundle: the
 * shell is registered now, with the page's Segment (`segment`, or
 * `segment.analytics`), and `loadPlugin()`'s module does the rest once it
 * has loaded: it checks the options (a rejection says what is wrong) and
 * starts rewind under Segment's user, as segment.js describes. `loadPlugin`
 * resolves to segment.js's module, or to null when it could not load; then
 * `start(rewindOptions)` records without Segment.
 */
export async function startWithSegmentShell(segment, rewindOptions, loadPlugin, start) {
  const target = isSegment(segment) ? segment : isSegment(segment?.analytics) ? segment.analytics : null;
  let registration = null;
  // One plugin a page: a second start({ segment }) reuses the first's.
  if (!shell && target) {
    shell = pluginShell();
    registration = snippetPlugin ? takeOverSnippetPlugin(snippetPlugin, shell) : registerPlugin(target, shell);
    snippetPlugin = null;
  }
  const module = await loadPlugin();
  if (!module) {
    // The plugin did not load (loadPlugin said so): rewind records, on its
    // own ids, and Segment's events go on untagged.
    shell?.attach(null);
    return start(rewindOptions);
  }
  try {
    module.startWithSegment(segment, rewindOptions, registration ? { shell, ...registration } : null);
  } catch (error) {
    // Options the plugin refuses: this call's shell hands events on.
    if (registration) shell.attach(null);
    throw error;
  }
  return undefined;
}
