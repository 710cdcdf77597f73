// The JS side of rewind's web layer: one module, so that the page loads one
// file for it (wasm-bindgen writes an `inline_js` block as a file of its own,
// and each is a request; the test runner's server loses one of several that
// arrive at once). Each section's Rust bindings are in the file it names,
// which says what its functions are for.

// ---- src/web/guard.rs ----
const state = { poisoned: false, listeners: new Set(), observers: new Set(), timers: new Map(), cleanups: new Set() };

export function poison(error) {
  if (state.poisoned) return;
  state.poisoned = true;
  for (const entry of state.listeners) {
    try { entry.target.removeEventListener(entry.type, entry.fn, entry.capture); } catch (e) {}
  }
  state.listeners.clear();
  for (const observer of state.observers) {
    try { observer.disconnect(); } catch (e) {}
  }
  state.observers.clear();
  for (const [id, repeat] of state.timers) (repeat ? clearInterval : clearTimeout)(id);
  state.timers.clear();
  for (const cleanup of state.cleanups) {
    try { cleanup(); } catch (e) {}
  }
  state.cleanups.clear();
  try { console.error('[rewind] stopped recording after an internal error; the page is not affected.', error); } catch (e) {}
}

export function guard(callback) {
  return function () {
    if (state.poisoned) return undefined;
    try {
      return callback.apply(this, arguments);
    } catch (error) {
      poison(error);
      return undefined;
    }
  };
}

export function isPoisoned() { return state.poisoned; }

export function listen(target, type, callback, capture) {
  const entry = { target, type, fn: guard(callback), capture };
  target.addEventListener(type, entry.fn, { capture, passive: true });
  state.listeners.add(entry);
  return entry;
}

export function unlisten(entry) {
  entry.target.removeEventListener(entry.type, entry.fn, entry.capture);
  state.listeners.delete(entry);
}

export function newObserver(callback) {
  const observer = new MutationObserver(guard(callback));
  state.observers.add(observer);
  return observer;
}

export function dropObserver(observer) {
  observer.disconnect();
  state.observers.delete(observer);
}

export function startTimer(callback, ms, repeat) {
  const guarded = guard(callback);
  let id;
  const run = repeat ? guarded : function () { state.timers.delete(id); guarded(); };
  id = (repeat ? setInterval : setTimeout)(run, ms);
  state.timers.set(id, repeat);
  return id;
}

export function stopTimer(id, repeat) {
  (repeat ? clearInterval : clearTimeout)(id);
  state.timers.delete(id);
}

// `undo` (taking prototype hooks or console wrappers off the page) as a
// clean-up the guard runs if rewind is poisoned; the recording runs it
// when it is done with them. Run either way, it is forgotten.
function cleanup(undo) {
  const once = () => {
    state.cleanups.delete(once);
    undo();
  };
  state.cleanups.add(once);
  return once;
}

export function api() { return { poison, isPoisoned, attachedCounts }; }

// What rewind has attached to the page right now (tests count these).
export function attachedCounts() {
  return { listeners: state.listeners.size, observers: state.observers.size, timers: state.timers.size, hooks: state.cleanups.size };
}

// ---- src/web/dom.rs ----
const SEP = '\u0001';
const HTML = 'http://www.w3.org/1999/xhtml';
const SVG = 'http://www.w3.org/2000/svg';
// Relative URLs made absolute, so that a replay served from another origin
// loads the site's images, fonts and backgrounds: by the browser's own URL
// parser (what the page itself fetched), in the reads below, so no value
// crosses into the wasm and back to be resolved. Left as written: empty
// values, fragments (`#id`, which stay in the document), values with a
// scheme (`data:`, `https:`), and what the parser rejects.
const SCHEME = /^[a-z][a-z\d+.-]*:/i;
// The common reference (`img/a.png`, `/static/app.css?v=3`) is joined to
// its base by hand: `new URL` costs about 2 microseconds in Chromium,
// 40 ms of a snapshot with 20,000 URLs. That is only done where the
// parser would give the same: an http(s) base as the parser writes it
// (checked once per base), and a reference of characters it leaves
// alone, with no dot segment, not starting with `//` or `?`. Everything
// else goes to the parser.
const PLAIN_REFERENCE = /^\/?(?![/?])[\w\-.~!$&()*+,;=:@%/]*(?:[?#][\w\-.~!$&()*+,;=:@%/?#]*)?$/;
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:[/?#]|$)/i;
const HTTP_BASE = /^https?:\/\/[^/?#]*/;
let lastBase = null;
let baseOrigin = '';
let baseDirectory = '';
export function absoluteUrl(value, base) {
  const reference = value.trim();
  if (reference === '' || reference[0] === '#' || SCHEME.test(reference)) return reference;
  if (base !== lastBase) {
    lastBase = base;
    const origin = HTTP_BASE.exec(base);
    let canonical = false;
    try { canonical = origin !== null && new URL(base).href === base; } catch (error) { /* not a URL */ }
    baseOrigin = canonical ? origin[0] : '';
    const path = base.slice(baseOrigin.length).split(/[?#]/)[0];
    baseDirectory = baseOrigin && baseOrigin + path.slice(0, path.lastIndexOf('/') + 1);
  }
  if (baseOrigin && PLAIN_REFERENCE.test(reference) && !DOT_SEGMENT.test(reference.split(/[?#]/)[0])) {
    return (reference[0] === '/' ? baseOrigin : baseDirectory) + reference;
  }
  try {
    return new URL(reference, base).href;
  } catch (error) {
    return reference;
  }
}
// Each candidate of a `srcset` (`a.png 1x, b.png 2x`).
export function absoluteSrcset(srcset, base) {
  let out = '';
  for (const part of srcset.split(',')) {
    const candidate = part.trim();
    if (candidate === '') continue;
    const space = candidate.search(/\s/);
    out += (out ? ', ' : '') + (space < 0 ? absoluteUrl(candidate, base)
      : absoluteUrl(candidate.slice(0, space), base) + ' ' + candidate.slice(space).trim());
  }
  return out;
}
// CSS with each `url(…)` and `@import "…"` made absolute; everything else
// is copied as written, also a token that does not parse (an unclosed
// string or parenthesis, a bad unquoted URL), which the browser dropped.
// Nothing else is parsed: a `url(` in a comment or string is rewritten
// too. An absolute URL keeps the quotes its reference had, or gets ones
// that hold it (`"` then `'`), or the reference stays as written.
const CSS_SPACE = /[ \t\n\r\f]/;
const skipSpace = (css, at) => {
  while (CSS_SPACE.test(css[at] || '')) at++;
  return at;
};
// The index of the quote that ends a CSS string begun before `at`; -1
// when a line break or the end comes first. Backslashes escape.
const stringEnd = (css, at, quote) => {
  for (; at < css.length; at++) {
    const c = css[at];
    if (c === quote) return at;
    if (c === '\\') at++;
    else if (c === '\n' || c === '\r' || c === '\f') return -1;
  }
  return -1;
};
const CSS_ESCAPE = /\\(?:([\da-f]{1,6})[ \t\n\r\f]?|([^\n\r\f]))/gi;
const unescapeOne = (escape, hex, character) => {
  if (!hex) return character;
  const code = parseInt(hex, 16);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
};
// Whether `text` can be written in `quote` ('' for none) as a CSS URL.
const fitsIn = (text, quote) => (quote ? !text.includes(quote) && !/[\\\n\r\f]/.test(text) : !/[()"'\\\s]/.test(text));
export function absoluteCss(css, base) {
  const references = /url\(|@import/gi;
  let out = '';
  let copied = 0;
  // An unquoted url( with no `)` after it: none after it has one either,
  // so they are not scanned again to the end (malformed CSS with many
  // would take time quadratic in its length).
  let unclosed = false;
  // `value` (written in `quote`) made absolute, in the quotes it needs
  // from css[copied] to css[start] + the new URL; false if it stays.
  const rewrite = (start, value, quote, end, closing) => {
    let reference = value.trim();
    // A CSS escape (`\)`, `\22 `) is its character, not a backslash,
    // which the URL parser would read as a slash.
    if (reference.includes('\\')) reference = reference.replace(CSS_ESCAPE, unescapeOne);
    // (Unchanged: nothing to resolve, see absoluteUrl, or no base.)
    const resolved = absoluteUrl(reference, base);
    if (resolved === reference) return false;
    const fitting = [quote, '"', "'"].find((candidate) => fitsIn(resolved, candidate));
    if (fitting === undefined) return false;
    out += css.slice(copied, start) + fitting + resolved + fitting + closing;
    copied = end;
    return true;
  };
  for (let match; (match = references.exec(css)) !== null;) {
    const after = references.lastIndex;
    const at = skipSpace(css, after);
    const quote = css[at] === '"' || css[at] === "'" ? css[at] : '';
    if (match[0].length === 7) {
      // @import "…": a url(…) form is found by the next search.
      if (!quote) continue;
      const close = stringEnd(css, at + 1, quote);
      if (close < 0) continue;
      references.lastIndex = close + 1;
      rewrite(at, css.slice(at + 1, close), quote, close + 1, '');
    } else if (quote) {
      const close = stringEnd(css, at + 1, quote);
      if (close < 0) continue;
      const paren = skipSpace(css, close + 1);
      if (css[paren] !== ')') continue;
      references.lastIndex = paren + 1;
      rewrite(after, css.slice(at + 1, close), quote, paren + 1, ')');
    } else {
      if (unclosed) continue;
      let close = at;
      while (close < css.length && css[close] !== ')') close += css[close] === '\\' ? 2 : 1;
      if (close >= css.length) {
        unclosed = true;
        continue;
      }
      references.lastIndex = close + 1;
      const value = css.slice(at, close).replace(/[ \t\n\r\f]+$/, '');
      // Quotes, a parenthesis or a space make a bad URL, which the
      // browser dropped already.
      if (/["'(\s]/.test(value)) continue;
      rewrite(after, value, '', close + 1, ')');
    }
  }
  return copied === 0 ? css : out + css.slice(copied);
}
// An attribute's value with the URLs a replay would fetch or follow made
// absolute. (An <iframe>'s src is replaced by its recorded document.)
export function absoluteValue(element, name, value) {
  switch (name) {
    case 'src':
      if (element.tagName === 'IFRAME') return value;
    // falls through
    case 'href': case 'poster': case 'background': case 'action': case 'data': case 'xlink:href':
      return absoluteUrl(value, element.baseURI);
    case 'srcset':
      return absoluteSrcset(value, element.baseURI);
    case 'style':
      return /url\(/i.test(value) ? absoluteCss(value, element.baseURI) : value;
    default:
      return value;
  }
}
// ---- Which elements a full snapshot reads scroll offsets of ----
// Reading an element's scrollTop or scrollLeft makes the browser bring its
// layout up to date first, which costs about 0.6 microseconds a read in
// Chromium even when nothing changed: two reads for every unscrolled
// element were most of describeNode's time on a plain page (rrweb reads
// both on every element too). Only a scroll container has offsets, and an
// element is one only by its overflow. So a snapshot reads the offsets of
// an element only when something could give it an overflow other than
// visible or clip: the browser's own styles (SCROLLABLE_TAGS, `popover`),
// its style or overflow attribute, a shadow root (`:host`) or its parent's
// (`::slotted`), or a rule of its tree's stylesheets that sets overflow,
// whose selectors are matched once a snapshot (`scrollEpoch`). A tree with
// a sheet rewind cannot read (cross-origin, without CORS), a rule whose
// elements a selector cannot find (nested, `@scope`, keyframes, `:host`
// inside a root), or more rules than the snapshot's scans may read
// (SCAN_RULES: in Chromium a rule's five overflow reads take 1 to 2.5
// microseconds, and a scan lands in one slice of the snapshot) has every
// element read, as before. (A count, not a clock: a GC pause in a scan
// would spend a time budget on nothing.)
const SCROLLABLE_TAGS = new Set(['HTML', 'BODY', 'TEXTAREA', 'SELECT', 'INPUT', 'MARQUEE', 'DIALOG', 'foreignObject']);
const OVERFLOW_PROPERTIES = ['overflow', 'overflow-x', 'overflow-y', 'overflow-block', 'overflow-inline'];
const OVERFLOW_STYLE = /overflow|(?:^|[\s;])all\s*:/i;
const SCAN_RULES = 5000;
const setsOverflow = (style) => OVERFLOW_PROPERTIES.some((property) => {
  const value = style.getPropertyValue(property);
  return value !== '' && value !== 'visible' && value !== 'clip';
});
// Adds to `selectors` those of `rules` (and the rules inside them) that set
// overflow; false when such a rule's elements are not found by its selector,
// or the snapshot's scans have read SCAN_RULES rules.
function overflowSelectors(rules, selectors, nested) {
  for (const rule of rules) {
    if (--scrollScan.rulesLeft < 0) return false;
    if (rule.styleSheet) {
      // @import: its sheet's cssRules throw when it is cross-origin.
      if (!overflowSelectors(rule.styleSheet.cssRules, selectors, nested)) return false;
      continue;
    }
    if (rule.style && setsOverflow(rule.style)) {
      const selector = rule.selectorText;
      if (!selector || nested) return false;
      selectors.push(selector);
    }
    // A style rule's own rules are nested (relative selectors), and so are
    // @scope's; @media, @supports, @layer and @container keep the level.
    if (rule.cssRules && !overflowSelectors(rule.cssRules, selectors, nested || !!rule.style || 'start' in rule)) return false;
  }
  return true;
}
// What one snapshot's scans share: the trees and sheets already scanned
// (a sheet adopted by many shadow roots is one object, scanned once), and
// how many of SCAN_RULES are left.
const scrollScan = { epoch: 0 };
// The overflow selectors of `sheet`, or null (see overflowSelectors).
function sheetSelectors(sheet) {
  let selectors = scrollScan.sheets.get(sheet);
  if (selectors === undefined) {
    selectors = [];
    if (!overflowSelectors(sheet.cssRules, selectors, false)) selectors = null;
    scrollScan.sheets.set(sheet, selectors);
  }
  return selectors;
}
// The elements of `root` (a document or shadow root) that its stylesheets
// could make scroll containers, or null: read every element.
function ruledScrollers(root) {
  try {
    const inShadow = root.nodeType === 11;
    // Elements in a shadow root that the page's own sheets style by ::part.
    const selectors = inShadow ? ['[part]'] : [];
    for (const sheets of [root.styleSheets, root.adoptedStyleSheets ?? []]) {
      for (const sheet of sheets) {
        const found = sheetSelectors(sheet);
        // Inside a root, `:host` and `::slotted` rules style elements
        // outside it, which no selector of the root finds.
        if (found === null || (inShadow && found.some((selector) => /:host|::slotted/i.test(selector)))) return null;
        selectors.push(...found);
      }
    }
    return new WeakSet(selectors.length ? root.querySelectorAll(selectors.join(',')) : []);
  } catch (error) {
    return null;
  }
}
function ruledScrollable(element, epoch) {
  const parent = element.parentNode;
  // Slotted into a shadow root (a custom element's may be closed).
  if (parent && (parent.shadowRoot || (parent.nodeType === 1 && parent.tagName.includes('-')))) return true;
  const root = element.getRootNode();
  if (root.nodeType !== 9 && root.nodeType !== 11) return true;
  if (scrollScan.epoch !== epoch) {
    Object.assign(scrollScan, { epoch, roots: new WeakMap(), sheets: new WeakMap(), rulesLeft: SCAN_RULES });
  }
  let ruled = scrollScan.roots.get(root);
  if (ruled === undefined) {
    ruled = ruledScrollers(root);
    scrollScan.roots.set(root, ruled);
  }
  return ruled === null || ruled.has(element);
}
// An element: namespace (h, s, o), shadow root (1, 0) and scrolled (1, 0;
// always 0 when `scrollEpoch` is 0, for added nodes: see above for which
// elements are read), then tag name and each attribute's name and value,
// each after the separator: U+0001, or for the rare element that has it
// in an attribute, the first ASCII character up from it that none of its
// texts has (joinedApart, below).
// (Scrolled elements are rare: their offsets are read apart, which keeps
// float parsing out of the wasm.) A text, comment or CDATA node: T, C or
// D, then its data. A document: d, then its compatMode. A doctype: y, the
// separator, then its name, public id and system id, each after the
// separator. Undefined for other nodes. (`odd`: describeNode's own second
// try at an element, below.)
export function describeNode(node, scrollEpoch, odd) {
  switch (node.nodeType) {
    case 1: {
      const ns = node.namespaceURI;
      const hasShadowRoot = !!node.shadowRoot;
      let mayScroll = scrollEpoch !== 0 && (hasShadowRoot || SCROLLABLE_TAGS.has(node.tagName));
      let attributes = '';
      // Names then values, not `attributes[i]`: that makes an Attr node for
      // each attribute, which its element then keeps (about a third slower
      // over a 50,000-node page in Chromium, and heap the page keeps). The
      // rare element whose value getAttribute cannot find again (a name set
      // through setAttributeNS with capitals on an HTML element), or that
      // holds U+0001, is read again through its Attr nodes, its texts
      // joined at a separator none of them has.
      const texts = odd && [node.tagName];
      const names = odd ? node.attributes : node.getAttributeNames();
      for (let i = 0; i < names.length; i++) {
        const name = odd ? names[i].name : names[i];
        const value = odd ? names[i].value : node.getAttribute(name);
        if (!odd && (value === null || value.indexOf(SEP) !== -1)) return describeNode(node, scrollEpoch, true);
        if (!mayScroll && scrollEpoch !== 0) {
          mayScroll = name === 'style' ? OVERFLOW_STYLE.test(value) : name === 'overflow' || name === 'popover';
        }
        const absolute = absoluteValue(node, name, value);
        if (odd) texts.push(name, absolute);
        else attributes += SEP + name + SEP + absolute;
      }
      const scrolled = scrollEpoch !== 0 && (mayScroll || ruledScrollable(node, scrollEpoch)) && (node.scrollTop || node.scrollLeft);
      return (ns === HTML ? 'h' : ns === SVG ? 's' : 'o') + (hasShadowRoot ? '1' : '0') + (scrolled ? '1' : '0') +
        (odd ? joinedApart(texts) : SEP + node.tagName + attributes);
    }
    case 3: return 'T' + node.data;
    case 8: return 'C' + node.data;
    case 4: return 'D';
    case 9: return 'd' + node.compatMode;
    case 10: return 'y' + joinedApart([node.name, node.publicId, node.systemId]);
    default: return undefined;
  }
}
// `texts`, each after a separator none of them has: U+0001, or the next
// ASCII character up (the wasm splits at a byte). Texts that hold every
// one of them, which no page has been seen to write, have U+0001 replaced
// by U+FFFD and are split at it.
function joinedApart(texts) {
  let code = 1;
  while (code < 128 && texts.some((text) => text.includes(String.fromCharCode(code)))) code += 1;
  if (code === 128) return SEP + texts.map((text) => text.replaceAll(SEP, '\ufffd')).join(SEP);
  const separator = String.fromCharCode(code);
  return separator + texts.join(separator);
}
// A form field's state, for the snapshot and input events alike: I, T or
// S (input, textarea, select), 1 or 0 (checked), the input's type, U+0001,
// then the value. Undefined for any other node. (FieldRead::parse in
// src/core/input.rs reads it; one crossing where reading the properties
// apart took five, on every keystroke.)
export function readField(node) {
  if (node.nodeType !== 1) return undefined;
  switch (node.tagName) {
    case 'INPUT': return 'I' + (node.checked ? '1' : '0') + node.type + SEP + node.value;
    case 'TEXTAREA': return 'T0' + SEP + node.value;
    case 'SELECT': return 'S0' + SEP + node.value;
    default: return undefined;
  }
}
// The window's text selection as node ids (the WeakMap `ids` holds them):
// `startId,startOffset,endId,endOffset` per range, `;` between ranges; a
// range with an end rewind never recorded is left out. (SelectionRange::
// parse_all in src/core/incremental.rs reads it.) Undefined, with nothing
// read, for a `selectionchange` fired at a text field when `skipFields` is
// set (SelectionRange::all_collapsed says when and why).
export function selectionRanges(win, ids, event, skipFields) {
  if (skipFields && event.target && event.target.nodeType !== 9) return undefined;
  const selection = win.getSelection();
  let out = '';
  const count = selection ? selection.rangeCount : 0;
  for (let i = 0; i < count; i++) {
    const range = selection.getRangeAt(i);
    const start = ids.get(range.startContainer);
    const end = ids.get(range.endContainer);
    if (!(start > 0 && end > 0)) continue;
    out += (out ? ';' : '') + start + ',' + range.startOffset + ',' + end + ',' + range.endOffset;
  }
  return out;
}
// The debug log's lines, by src/web/log.rs's `Note`: $0 and $1 are the
// line's texts, $2 to $5 its numbers. The wasm calls debugLine only with
// `debug` on. The lines that say something failed or was left out (their
// places in DEBUG_WARNINGS) are console warnings.
const DEBUG_LINES = [
  'replay $0',
  'replay $0 is outside sampleRate: nothing is recorded',
  'replay $0 continues as $1 (outside sampleRate: nothing is recorded)',
  '$0: buffer sent, $2 chunks reaching back $3 ms',
  'first $0',
  'checkout failed: $0',
  'replay $0: $1',
  'full snapshot taken: $2 nodes in $3 slice(s)',
  '$2 elements nest deeper than $3 levels; their children were not recorded',
  'session ended; replay $0 continues as $1',
  'identified: replay $0 continues as $1',
  'buffer: dropped its $2 oldest segment(s); $3 bytes kept',
  'sealed $0#$2: $3 events, $4 bytes raw, $5 gzip',
  "sealed $0#$2: $3 events, $4 bytes raw, for the courier's worker to compress",
  'replay $0 continues as $1',
];
const DEBUG_WARNINGS = [4, 5, 6, 8];
export function debugLine(note, ...values) {
  try {
    console[DEBUG_WARNINGS.includes(note) ? 'warn' : 'log'](`[rewind] ${DEBUG_LINES[note].replace(/\$(\d)/g, (_, at) => values[at])}`);
  } catch (error) {
    // No console, or a page's that throws: the log is only for a developer.
  }
}
// Numbers a recording reads together, written into `out` (a view of the
// wasm's memory) in one crossing; src/web/dom.rs's `Numbers` names them.
// 0, a media element: paused, currentTime, volume, muted, loop and
//    playbackRate (booleans as 1 or 0);
// 1, a mouse or touch event: clientX and clientY (of the first changed
//    touch; left NaN without one);
// 2, a window or a document: the window's scrollX and scrollY (left NaN
//    for a document without a window);
// 3, a window: innerWidth and innerHeight;
// 4, an element: the width and height of its layout box.
export function readNumbers(target, what, out) {
  switch (what) {
    case 0:
      out[0] = target.paused ? 1 : 0;
      out[1] = target.currentTime;
      out[2] = target.volume;
      out[3] = target.muted ? 1 : 0;
      out[4] = target.loop ? 1 : 0;
      out[5] = target.playbackRate;
      break;
    case 1: {
      const point = target.type.startsWith('touch') ? target.changedTouches[0] : target;
      if (point) {
        out[0] = point.clientX;
        out[1] = point.clientY;
      }
      break;
    }
    case 2: {
      if (target.nodeType === 1) {
        out[0] = target.scrollLeft;
        out[1] = target.scrollTop;
        break;
      }
      const view = target.nodeType === 9 ? target.defaultView : target;
      if (view) {
        out[0] = view.scrollX;
        out[1] = view.scrollY;
      }
      break;
    }
    case 3:
      out[0] = target.innerWidth;
      out[1] = target.innerHeight;
      break;
    case 4: {
      const rect = target.getBoundingClientRect();
      out[0] = rect.width;
      out[1] = rect.height;
      break;
    }
    default:
  }
}
// The rules of a <style>'s or <link>'s sheet as the browser parsed them,
// joined: one crossing where reading them rule by rule took two per rule.
// Undefined without a sheet, for a cross-origin one (cssRules throws) and
// for one with no rules.
export function sheetText(node) {
  const sheet = node.sheet;
  if (!sheet) return undefined;
  let rules;
  try {
    rules = sheet.cssRules;
  } catch (error) {
    return undefined;
  }
  if (!rules || rules.length === 0) return undefined;
  let text = '';
  for (let i = 0; i < rules.length; i++) text += rules[i].cssText;
  // A <link>'s sheet resolves against its own address, a <style>'s
  // against the document's base.
  return absoluteCss(text, sheet.href || node.baseURI);
}
// One attribute's value, URLs made absolute; undefined when absent.
export function attributeOf(element, name) {
  const value = element.getAttribute(name);
  return value === null ? undefined : absoluteValue(element, name, value);
}
// ASCII letters in lower case, others kept: as the wasm's
// to_ascii_lowercase, and as HTML lowercases names (a custom element's
// name may hold other letters, which toLowerCase alone would change).
const asciiLower = (text) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
// An element's tag name in lower case; undefined for other nodes.
export function lowerTagName(node) {
  return node.nodeType === 1 ? asciiLower(node.tagName) : undefined;
}
// Whether `tagName` is defined as a custom element in `win` (a window
// without a registry, as some frames have, defines none).
export function isDefinedElement(win, tagName) {
  return typeof win.customElements?.get(asciiLower(tagName)) === 'function';
}
// Whether `value` is a node, and whether `node` is a shadow root (a
// fragment with a host): by properties, which hold in every realm, where
// instanceof does not. A getter that throws (a proxy's) says no.
export function isNode(value) {
  try {
    const type = value.nodeType;
    return typeof type === 'number' && type > 0;
  } catch (error) {
    return false; // null, undefined, or a throwing getter
  }
}
export function isShadowRoot(node) {
  return node.nodeType === 11 && typeof node.host === 'object' && node.host !== null;
}
// Whether `node` is an HTML element of the upper-case `tagName` (by its
// properties, which hold in every realm, where instanceof does not).
export function isHtml(node, tagName) {
  return node.nodeType === 1 && node.tagName === tagName && node.namespaceURI === HTML;
}
// The elements matching `selector` in `node`'s own tree: its document, or
// the shadow root it is in (a radio's group); none for a selector the
// browser rejects.
export function inSameTree(node, selector) {
  try {
    return Array.from(node.getRootNode().querySelectorAll(selector));
  } catch (error) {
    return [];
  }
}
// The fields of a form (its `elements`), as a list.
export function formFields(form) {
  return Array.from(form.elements);
}
// An uncaught error or rejection as rrweb's console plugin records it
// (consoleData, below): level error, the message cut to
// MAX_ERROR_MESSAGE_CHARS as its one argument, the thrown value's stack
// as the trace (a line equal to the cut message, which V8 stacks start
// with, left out). Undefined for other events.
export function describeUncaught(event) {
  let message;
  let thrown;
  if (event instanceof ErrorEvent) {
    message = String(event.message);
    thrown = event.error;
  } else if (typeof PromiseRejectionEvent === 'function' && event instanceof PromiseRejectionEvent) {
    thrown = event.reason;
    let what;
    try {
      what = thrown instanceof Error ? thrown.name + ': ' + thrown.message : stringOf(thrown);
    } catch (error) {
      what = stringOf(thrown);
    }
    message = 'Uncaught (in promise) ' + what;
  } else {
    return undefined;
  }
  let stack;
  try {
    stack = thrown == null ? undefined : thrown.stack;
  } catch (error) {
    // A getter that throws: no stack.
  }
  message = firstUnits(message, MAX_ERROR_MESSAGE_CHARS);
  return consoleData('error', typeof stack === 'string' ? stack.split('\n') : [], message, [JSON.stringify(message)]);
}
// Observes `root` (a document or shadow root) for everything a recording
// records: children, attributes and texts of the whole subtree.
export function observeRoot(observer, root) {
  try {
    observer.observe(root, { childList: true, subtree: true, attributes: true, characterData: true });
  } catch (error) {
    // Not a node (a root gone meanwhile): nothing to observe.
  }
}
// The page's window, or undefined in a worker.
export function pageWindow() {
  return typeof window === 'object' && window ? window : undefined;
}
// Booleans, where web-sys hands over readyState's text and
// visibilityState as an enum.
export function isLoading(document) {
  return document.readyState === 'loading';
}
export function isHidden(win) {
  return win.document.visibilityState === 'hidden';
}
export function frameDocument(frame, whole) {
  const document = frame.contentDocument;
  return document && (!whole || document.documentElement) ? document : undefined;
}
export function pageHref(win) {
  try { return win.location.href; } catch (error) { return undefined; }
}
export function childNodesOf(node) {
  const children = [];
  for (let child = node.firstChild; child; child = child.nextSibling) children.push(child);
  return children;
}
// A batch of MutationObserver records that are all characterData: each
// changed node once, in record order, if it is connected and has an id in
// `ids`: 't' (text) or 'c' (comment), id, ':', the data's length in UTF-16
// units, ':', the data. Undefined when any record is of another type.
export function textOnlyBatch(records, ids) {
  for (let i = 0; i < records.length; i++) if (records[i].type !== 'characterData') return undefined;
  const seen = new Set();
  let out = '';
  for (let i = 0; i < records.length; i++) {
    const node = records[i].target;
    // (Each DOM property read is a call into the browser: the Set's size
    // says whether the node was new, and nodeType is read once.)
    const seenBefore = seen.size;
    if (seen.add(node).size === seenBefore) continue;
    const id = ids.get(node);
    if (id === undefined) continue;
    const type = node.nodeType;
    if ((type !== 3 && type !== 8) || !node.isConnected) continue;
    const data = node.data;
    out += (type === 3 ? 't' : 'c') + id + ':' + data.length + ':' + data;
  }
  return out;
}
// A batch of records that are all attribute changes the buffer would
// write plainly (not `value`, `open`, `loop` or `muted`, which carry more,
// nor namespaced ones): each changed element once, in record order, if
// connected and with an id, its URLs made absolute; see the core's
// parse_attribute_batch for the packing. Undefined otherwise.
const SPECIAL_ATTRIBUTES = new Set(['value', 'open', 'loop', 'muted']);
const counted = (text) => text.length + ':' + text;
export function attributeOnlyBatch(records, ids) {
  const changed = new Map();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.type !== 'attributes' || record.attributeNamespace !== null) return undefined;
    const name = record.attributeName;
    if (SPECIAL_ATTRIBUTES.has(name)) return undefined;
    const names = changed.get(record.target);
    if (names === undefined) changed.set(record.target, [name]);
    else if (!names.includes(name)) names.push(name);
  }
  let out = '';
  for (const [node, names] of changed) {
    const id = ids.get(node);
    if (id === undefined || !node.isConnected) continue;
    out += 'n' + id + ':' + counted(node.tagName) + names.length + ':';
    for (const name of names) {
      const value = node.getAttribute(name);
      out += counted(name) + (value === null ? 'x' : 'v' + counted(absoluteValue(node, name, value)));
    }
  }
  return out;
}
// Any batch of MutationObserver records, packed for the wasm in one
// crossing: [layout, ...values]. Per record, the layout has 'c' (a child
// list; 's' when the target is a shadow root, which the host stands for)
// with `added:removed:`, 'd' (data), or 'a', 'm' (loop/muted of a video or
// audio element), 'v' (value) for an attribute; the values are the
// target, then the added and the removed nodes, or the attribute's
// qualified name (xlink:href, as the page wrote it). See the core's
// parse_record_layout.
const PREFIXES = new Map([
  ['http://www.w3.org/1999/xlink', 'xlink:'],
  ['http://www.w3.org/XML/1998/namespace', 'xml:'],
  ['http://www.w3.org/2000/xmlns/', 'xmlns:'],
]);
export function packRecords(records) {
  const values = [''];
  let layout = '';
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    let target = record.target;
    if (!target) continue;
    if (record.type === 'childList') {
      let kind = 'c';
      if (target.nodeType === 11 && target.host && typeof target.host === 'object') {
        target = target.host;
        kind = 's';
      }
      const added = record.addedNodes;
      const removed = record.removedNodes;
      layout += kind + added.length + ':' + removed.length + ':';
      values.push(target);
      for (let j = 0; j < added.length; j++) values.push(added[j]);
      for (let j = 0; j < removed.length; j++) values.push(removed[j]);
    } else if (record.type === 'characterData') {
      layout += 'd';
      values.push(target);
    } else if (record.type === 'attributes') {
      let name = record.attributeName;
      if (name === null) continue;
      if ((name === 'loop' || name === 'muted') && target.nodeType === 1 && /^(video|audio)$/i.test(target.tagName)) {
        layout += 'm';
      } else if (name === 'value') {
        layout += 'v';
      } else {
        layout += 'a';
        const prefix = PREFIXES.get(record.attributeNamespace);
        if (prefix && !(prefix === 'xmlns:' && name === 'xmlns')) name = prefix + name;
      }
      values.push(target, name);
    }
  }
  values[0] = layout;
  return values;
}
// JS's String(value); for what even that refuses (a null-prototype
// object), Object.prototype.toString's tag.
export function stringOf(value) {
  try { return String(value); } catch (error) { return Object.prototype.toString.call(value); }
}
// The node an event happened at. A listener on a document sees an event
// from inside a shadow root retargeted to the host; the composed path
// starts at the real target (at the host still for a closed root, whose
// inside is not recorded). Undefined when that is no node (the window).
export function eventTarget(event) {
  const path = event.composedPath();
  const target = path.length ? path[0] : event.target;
  return target && target.nodeType > 0 ? target : undefined;
}
// The number `map` holds for `node`, or 0.
export function numberFor(map, node) {
  const value = map.get(node);
  return value === undefined ? 0 : value;
}
// The id `ids` holds for `node`, or `fresh`, which it then holds: one
// crossing where a snapshot's get and set of each node's id took two.
export function idOrSet(ids, node, fresh) {
  const known = ids.get(node);
  if (known !== undefined) return known;
  ids.set(node, fresh);
  return fresh;
}

// ---- src/web/hooks.rs ----
// Reported by their index here (the recording's `ROOT_EVENTS`).
const ROOT_EVENTS = ['input', 'change', 'scroll', 'reset', 'play', 'pause', 'seeked', 'volumechange', 'ratechange'];

export function installHooks(document, notify, first) {
  const win = document.defaultView;
  if (!win) return undefined;
  // Nothing rewind's side throws reaches the page's CSSOM call or value
  // assignment.
  notify = guard(notify);
  const call = (kind, node, styleId, payload) => {
    try { notify([kind, node, styleId, payload]); } catch (error) { /* rewind's problem, never the page's */ }
  };
  const restores = [];
  // Before a sheet changes, DOM changes not yet delivered to the observer
  // are recorded: a <style> added a moment ago must reach the replay as it
  // was, before the rule that now changes it.
  // (An element's own style is left alone: animations set it all the time
  // and the observer sees it as an attribute.)
  const flushFirst = (original) => function () {
    if (!(this instanceof win.CSSStyleDeclaration) || this.parentRule) call('flush', null, 0, '');
    return original.apply(this, arguments);
  };
  const patch = (proto, name, wrap, flush = true) => {
    const original = proto && proto[name];
    if (typeof original !== 'function') return;
    proto[name] = wrap(flush ? flushFirst(original) : original);
    restores.push(() => { proto[name] = original; });
  };
  const patchSetter = (proto, property, after) => {
    const descriptor = proto && Object.getOwnPropertyDescriptor(proto, property);
    if (!descriptor || !descriptor.set) return;
    Object.defineProperty(proto, property, {
      ...descriptor,
      set(value) {
        descriptor.set.call(this, value);
        after(this);
      },
    });
    restores.push(() => Object.defineProperty(proto, property, descriptor));
  };
  // Constructed sheets have no owner node; rrweb names them by styleId.
  // The replay has one numbering for all its documents, so the hooks of a
  // recording's frames share the page's (and which roots are listened to).
  // `ids` and `sent` hold their sheets strongly: WebKit (Safari) lets the
  // JS wrapper of a constructed sheet that only an adoptedStyleSheets list
  // holds be collected, and the next read of the list makes a new wrapper,
  // which a WeakMap or WeakSet keyed by the old one does not know (its rule
  // edits went unrecorded, tests/e2e/fidelity.test.mjs in WebKit). Both
  // start afresh at each full snapshot, so they hold only the sheets met
  // since the last one.
  const sheets = first ? first.sheets : { ids: new Map(), nextId: 1, sent: new Set(), walk: null, listened: new WeakSet() };
  const styleIdOf = (sheet) => {
    let id = sheets.ids.get(sheet);
    if (!id) { id = sheets.nextId++; sheets.ids.set(sheet, id); }
    return id;
  };
  // Who a rule change is about: the owner node, or a constructed sheet's
  // styleId once the replay has it (`sheets.sent`; before that, its rules
  // go out whole when it is adopted).
  const owner = (sheet) => {
    if (!sheet) return [null, 0];
    if (sheet.ownerNode) return [sheet.ownerNode, 0];
    return sheets.sent.has(sheet) ? [null, styleIdOf(sheet)] : [null, 0];
  };
  const rulePath = (rule) => {
    const path = [];
    for (let current = rule; current; current = current.parentRule) {
      const list = current.parentRule ? current.parentRule.cssRules : current.parentStyleSheet.cssRules;
      path.unshift(Array.prototype.indexOf.call(list, current));
    }
    return path;
  };
  const fragment = (object) => JSON.stringify(object).slice(1, -1);
  // url(...) and @import in CSS resolve against the sheet, which the
  // replay is not served from: made absolute (`absoluteCss`).
  const absolutize = (css, sheet) => {
    if (typeof css !== 'string' || !/url\(|@import/i.test(css)) return css;
    // (Inside the page's own CSSOM call: nothing may throw from here.)
    try {
      return absoluteCss(css, (sheet && (sheet.href || (sheet.ownerNode && sheet.ownerNode.baseURI))) || win.document.baseURI);
    } catch (error) {
      return css;
    }
  };
  const rulesOf = (sheet) => {
    try { return Array.from(sheet.cssRules, (rule, index) => ({ rule: absolutize(rule.cssText, sheet), index })); } catch (error) { return []; }
  };

  const sheetProto = win.CSSStyleSheet && win.CSSStyleSheet.prototype;
  patch(sheetProto, 'insertRule', (original) => function (rule, index) {
    const at = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ adds: [{ rule: absolutize(this.cssRules[at].cssText, this), index: at }] }));
    return at;
  });
  patch(sheetProto, 'deleteRule', (original) => function (index) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ removes: [{ index }] }));
    return result;
  });
  patch(sheetProto, 'replaceSync', (original) => function (text) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ replaceSync: absolutize(String(text), this) }));
    return result;
  });
  patch(sheetProto, 'replace', (original) => function (text) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ replace: absolutize(String(text), this) }));
    return result;
  });
  const groupProto = win.CSSGroupingRule && win.CSSGroupingRule.prototype;
  patch(groupProto, 'insertRule', (original) => function (rule, index) {
    const at = original.apply(this, arguments);
    const [node, styleId] = owner(this.parentStyleSheet);
    const sheet = this.parentStyleSheet;
    call('rule', node, styleId, fragment({ adds: [{ rule: absolutize(this.cssRules[at].cssText, sheet), index: [...rulePath(this), at] }] }));
    return at;
  });
  patch(groupProto, 'deleteRule', (original) => function (index) {
    const path = [...rulePath(this), index];
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this.parentStyleSheet);
    call('rule', node, styleId, fragment({ removes: [{ index: path }] }));
    return result;
  });
  const declarationProto = win.CSSStyleDeclaration && win.CSSStyleDeclaration.prototype;
  patch(declarationProto, 'setProperty', (original) => function (property, value, priority) {
    const result = original.apply(this, arguments);
    // An element's own style is an attribute: the MutationObserver sees it.
    const rule = this.parentRule;
    if (rule && rule.parentStyleSheet) {
      const [node, styleId] = owner(rule.parentStyleSheet);
      const set = { property, value: absolutize(String(value), rule.parentStyleSheet), priority: priority || '' };
      call('declaration', node, styleId, fragment({ index: rulePath(rule), set }));
    }
    return result;
  });
  patch(declarationProto, 'removeProperty', (original) => function (property) {
    const result = original.apply(this, arguments);
    const rule = this.parentRule;
    if (rule && rule.parentStyleSheet) {
      const [node, styleId] = owner(rule.parentStyleSheet);
      call('declaration', node, styleId, fragment({ index: rulePath(rule), remove: { property } }));
    }
    return result;
  });

  // Events that do not leave the shadow root they happen in (not
  // composed), which the recording's listeners on the document never see:
  // listened for on every open shadow root made while it records and every
  // one it meets (`meet`), as `event`.
  const onRootEvent = (event) => {
    if (!event.composed) call('event', event, ROOT_EVENTS.indexOf(event.type), '');
  };
  let roots = [];
  let pruneAt = 64;
  const listened = sheets.listened;
  const unlisten = (root) => {
    listened.delete(root);
    for (const type of ROOT_EVENTS) root.removeEventListener(type, onRootEvent, true);
  };
  restores.push(() => roots.splice(0).forEach(unlisten));
  const listenTo = (root) => {
    if (!root.host || listened.has(root)) return;
    // Each time the list doubles, the roots whose host left the page are
    // let go: a long session that makes and drops components keeps only
    // those it shows. (A host put back is recorded, and met, again.)
    if (roots.length >= pruneAt) {
      roots = roots.filter((kept) => {
        if (kept.host.isConnected) return true;
        unlisten(kept);
        return false;
      });
      pruneAt = Math.max(64, roots.length * 2);
    }
    listened.add(root);
    roots.push(root);
    for (const type of ROOT_EVENTS) root.addEventListener(type, onRootEvent, { capture: true, passive: true });
  };

  // adoptedStyleSheets: the payload names every sheet by styleId and
  // carries the rules of those the replay does not have. The Replayer
  // makes a new sheet each time it is given rules: a sheet shared by many
  // roots (one per component class, as Lit adopts them) must reach it once,
  // or the roots end up with copies that a later rule change reaches only
  // one of. So a sheet counts as sent only once the recording asks for an
  // event carrying it (`meet`, when it records one), and every full
  // snapshot starts afresh (the Replayer forgets its sheets there). While
  // a snapshot of the document `sheets.walk.document` is written, its
  // roots' events only name their sheets; the sheets are gathered in
  // `sheets.walk.pending` and their rules go out in one event, before
  // those, when it ends (`snapshotSheets`): events of the walk follow the
  // snapshot in another order than they were made, and a root written
  // early may be gone by its end.
  // `meet`: the recording has met `root` (a document or an open shadow
  // root): it is listened to, and the payload of its adoption event is
  // returned, with `also` sheets defined; null when it adopts nothing,
  // unless `always` (the page just set the list, maybe to none).
  const meet = (root, always, also = []) => {
    listenTo(root);
    const list = Array.from(root.adoptedStyleSheets || []);
    if (!list.length && !also.length && !always) return null;
    const document = root.nodeType === 9 ? root : root.ownerDocument;
    const walk = sheets.walk && sheets.walk.document === document ? sheets.walk : null;
    const fresh = [...new Set([...also, ...list])].filter((sheet) => !sheets.sent.has(sheet) && !(walk && walk.pending.has(sheet)));
    for (const sheet of fresh) (walk ? walk.pending : sheets.sent).add(sheet);
    const styles = walk ? [] : fresh.map((sheet) => ({ styleId: styleIdOf(sheet), rules: rulesOf(sheet) }));
    return fragment({ styles, styleIds: list.map(styleIdOf) });
  };
  // The recording asks for the payload if it records the event.
  const onAdopted = (root) => {
    // A closed root is not recorded: its host has no shadowRoot.
    if (!root.host || root.host.shadowRoot === root) call('adopted', root, 0, '');
  };
  patchSetter(win.Document && win.Document.prototype, 'adoptedStyleSheets', onAdopted);
  patchSetter(win.ShadowRoot && win.ShadowRoot.prototype, 'adoptedStyleSheets', onAdopted);

  patch(win.Element && win.Element.prototype, 'attachShadow', (original) => function () {
    const root = original.apply(this, arguments);
    if (this.shadowRoot === root) listenTo(root);
    call('shadow', this, 0, '');
    return root;
  }, false);

  // Values set by script (frameworks do this) fire no input event.
  const onValue = (element) => call('value', element, 0, '');
  for (const [name, properties] of [
    ['HTMLInputElement', ['value', 'checked']],
    ['HTMLTextAreaElement', ['value']],
    ['HTMLSelectElement', ['value', 'selectedIndex']],
  ]) {
    for (const property of properties) patchSetter(win[name] && win[name].prototype, property, onValue);
  }
  patchSetter(win.HTMLOptionElement && win.HTMLOptionElement.prototype, 'selected', (option) => {
    const select = option.closest && option.closest('select');
    if (select) onValue(select);
  });

  return {
    sheets,
    uninstall: cleanup(() => {
      while (restores.length) restores.pop()();
    }),
    meet,
    // A full snapshot of `document` begins (`ending` false): the replay
    // will have no sheet. It ends (true): the payload of one event for
    // `document` that carries the rules of every sheet its roots named
    // meanwhile and sets its own adopted sheets; null when there is
    // nothing to say.
    snapshotSheets(document, ending) {
      const walk = sheets.walk;
      sheets.walk = ending ? null : { document, pending: new Set() };
      if (!ending) {
        // The replay forgets its sheets here; ids are never reused
        // (`nextId` goes on), so a sheet met again gets a new one.
        sheets.sent = new Set();
        sheets.ids = new Map();
        return null;
      }
      return meet(document, false, walk && walk.document === document ? [...walk.pending] : []);
    },
  };
}

// ---- src/web/observe/console.rs ----
// Wraps the methods `levels` names (space-separated) of `win.console`. A
// wrapper runs the page's method first, with its `this` and arguments, and
// returns what it returned; then it tells `notify([level, error,
// ...arguments])` (guarded: nothing it throws reaches the page), the error
// made here for the caller's stack, unless the call is rewind's own log
// ("[rewind] ..."), one made while rewind reads another call's arguments
// (a getter that logs), or an assert that held. Returns the function that
// puts the page's methods back; a method the page wrapped again since is
// left in place, and rewind's wrapper under it only calls through.
export function wrapConsole(win, levels, notify) {
  // Nothing rewind's side throws reaches the page's console call.
  notify = guard(notify);
  const target = win.console;
  const restores = [];
  let live = true;
  let busy = false;
  for (const level of levels.split(' ')) {
    const original = target && target[level];
    if (typeof original !== 'function') continue;
    // A method: named as the console's own, and no constructor either.
    const wrapper = { [level]() {
      const result = original.apply(this, arguments);
      const first = arguments[0];
      if (live && !busy && !(level === 'assert' && first) && !(typeof first === 'string' && first.startsWith('[rewind]'))) {
        busy = true;
        try { notify([level, new Error(), ...arguments]); } finally { busy = false; }
      }
      return result;
    } }[level];
    try { target[level] = wrapper; } catch (error) { continue; }
    if (target[level] === wrapper) restores.push(() => { if (target[level] === wrapper) target[level] = original; });
  }
  return cleanup(() => {
    live = false;
    for (const restore of restores.splice(0)) try { restore(); } catch (error) {}
  });
}

const THREW = {};
const read = (object, key) => { try { return object[key]; } catch (error) { return THREW; } };
const text = (value) => (value === THREW ? '[getter threw]' : String(value));

// One argument as JSON text: strings, numbers, booleans and null as
// themselves; what JSON has no form for as a string (undefined, NaN,
// Infinity, 12n, Symbol(x), [Function: f]); a DOM node as a short
// description, never its text or value (<div#id.class>, #text); an error
// as "name: message" and its stack; objects and arrays (Maps and Sets as
// arrays) to `maxDepth` levels and `maxMembers` members, "[Circular]"
// for a reference to an object it is inside of, "[getter threw]" for a
// member that could not be read; `maxChars` characters in all, roughly.
const describe = (value, maxDepth, maxMembers, maxChars) => {
  let left = maxChars;
  const path = [];
  const cut = (string) => {
    if (string.length > left) string = string.slice(0, Math.max(left, 0)) + '\u2026';
    left -= string.length;
    return string;
  };
  const list = (size, at, depth) => {
    const out = [];
    for (let index = 0; index < size; index++) {
      if (index >= maxMembers || left <= 0) { out.push(`\u2026 ${size - index} more`); break; }
      out.push(walk(at(index), depth + 1));
    }
    return out;
  };
  const walk = (value, depth) => {
    left--;
    if (value === THREW) return '[getter threw]';
    switch (typeof value) {
      case 'string': return cut(value);
      case 'number': return isFinite(value) ? value : String(value);
      case 'boolean': return value;
      case 'undefined': return 'undefined';
      case 'bigint': return value + 'n';
      case 'symbol': return cut(value.toString());
      case 'function': { const name = read(value, 'name'); return cut(`[Function${name && typeof name === 'string' ? ': ' + name : ''}]`); }
    }
    if (value === null) return null;
    if (path.includes(value)) return '[Circular]';
    if (left <= 0) return '\u2026';
    path.push(value);
    try {
      const tag = Object.prototype.toString.call(value);
      const kind = tag.slice(8, -1);
      if (value === read(value, 'window')) return '[Window]';
      if (kind !== 'Object' && typeof read(value, 'nodeType') === 'number' && typeof read(value, 'nodeName') === 'string') {
        if (value.nodeType !== 1) return cut(value.nodeName);
        const id = value.getAttribute('id');
        const classes = (value.getAttribute('class') || '').trim();
        return cut(`<${value.localName}${id ? '#' + id : ''}${classes ? '.' + classes.split(/\s+/).join('.') : ''}>`);
      }
      if (kind === 'Error' || kind === 'DOMException' || value instanceof Error) {
        const message = text(read(value, 'message'));
        const head = message ? `${text(read(value, 'name'))}: ${message}` : text(read(value, 'name'));
        const stack = read(value, 'stack');
        return cut(typeof stack !== 'string' || !stack ? head : stack.startsWith(head) ? stack : `${head}\n${stack}`);
      }
      if (/Event$/.test(kind) && typeof read(value, 'type') === 'string') return cut(`[${kind} ${value.type}]`);
      if (kind === 'Date' || kind === 'RegExp') return cut(String(value));
      if (ArrayBuffer.isView(value)) return cut(`${kind}(${value.length})`);
      if (depth >= maxDepth) return Array.isArray(value) ? '[Array]' : '[Object]';
      if (Array.isArray(value)) return list(value.length, (index) => read(value, index), depth);
      if (kind === 'Map' || kind === 'Set') {
        const items = [];
        for (const item of value) if (items.push(item) > maxMembers) break;
        return list(value.size, (index) => items[index], depth);
      }
      const keys = Object.keys(value);
      const out = Object.create(null);
      for (let index = 0; index < keys.length; index++) {
        if (index >= maxMembers || left <= 0) { out['\u2026'] = `${keys.length - index} more`; break; }
        out[cut(keys[index])] = walk(read(value, keys[index]), depth + 1);
      }
      return out;
    } catch (error) {
      return '[unreadable]';
    } finally {
      path.pop();
    }
  };
  try { return JSON.stringify(walk(value, 0)); } catch (error) { return '"[unreadable]"'; }
};

// What one console event may hold besides its arguments (their caps come
// from src/core/console.rs): an uncaught error's message, and the lines of
// a stack and the characters of each. Characters here are UTF-16 units,
// as JS counts them.
const MAX_ERROR_MESSAGE_CHARS = 2000;
const MAX_STACK_LINES = 30;
const MAX_STACK_LINE_CHARS = 500;
// The first `max` UTF-16 units of `text`, or one fewer rather than half a
// surrogate pair.
const firstUnits = (text, max) => (text.length <= max ? text : text.slice(0, /[\ud800-\udbff]/.test(text[max - 1]) ? max - 1 : max));
// rrweb's console plugin event data (`rrweb/console@1`), as JSON text:
// `{ plugin, payload: { level, trace, payload } }`, the `lines` of a stack
// as the trace (trimmed, blank ones and one equal to `message` left out, at
// most MAX_STACK_LINES, each cut to MAX_STACK_LINE_CHARS), and `texts`,
// each argument's JSON text, which rrweb's replay parses.
const consoleData = (level, lines, message, texts) => {
  const trace = [];
  for (const line of lines) {
    const frame = line.trim();
    if (trace.length === MAX_STACK_LINES) break;
    if (frame && frame !== message) trace.push(firstUnits(frame, MAX_STACK_LINE_CHARS));
  }
  return JSON.stringify({ plugin: 'rrweb/console@1', payload: { level, trace, payload: texts } });
};
// A console call as rewind records it (consoleData): `call` is what the
// wrapper hands over, [level, an Error made inside the wrapper, ...the
// arguments]. The trace is the caller's part of that Error's stack: the
// message line V8 puts first ("Error") and the wrapper's own frame left
// out (Firefox and Safari have no message line). Each argument is read
// within the caps (describe, above); a JSON text longer than `maxChars`
// is cut and stays JSON: a string argument becomes the same string cut,
// anything else a JSON string of its text's first characters, each ending
// in an ellipsis. Texts are kept while they fit in `eventChars` (the first
// always), and those past it become one "… N more arguments".
export function consoleCall(call, maxDepth, maxMembers, maxChars, eventChars) {
  const total = call.length - 2;
  const texts = [];
  let used = 0;
  for (let index = 2; index < call.length; index++) {
    let json = describe(call[index], maxDepth, maxMembers, maxChars);
    if (json.length > maxChars) {
      const cut = firstUnits(json, maxChars);
      json = json[0] === '"'
        // Without an escape cut in half: a backslash that starts one (after
        // an even run of them) and what of a \uXXXX follows it.
        ? cut.replace(/(^|[^\\])((?:\\\\)*)\\(?:u[\da-fA-F]{0,3})?$/, '$1$2') + '\u2026"'
        : JSON.stringify(cut + '\u2026');
    }
    used += json.length;
    if (used > eventChars && texts.length > 0) break;
    texts.push(json);
  }
  if (texts.length < total) texts.push(JSON.stringify(`\u2026 ${total - texts.length} more arguments`));
  const stack = read(call[1], 'stack');
  const lines = typeof stack === 'string' ? stack.split('\n') : [];
  let first = 0;
  while (first < lines.length && lines[first].trim() === 'Error') first++;
  return consoleData(call[0], lines.slice(first + 1), '', texts);
}
