// Runs in the browser. Reduces a document to a plain tree that is equal for
// a page and its rrweb replay when the replay is faithful. What it leaves out
// or rewrites is only what rrweb's rebuild (rrweb 2.2.2's Replayer) changes by
// design, or what the recorder must change by design (privacy), each for the
// reason given:
// - <script> becomes <noscript> (never executed, contents never recorded);
// - a same-origin <link rel=stylesheet> becomes a <style> with the same rules
//   (the recorder inlines it; a link left a link on the replica is compared
//   as an element, never by a sheet the player may or may not have fetched
//   yet), and a <style>'s text is rebuilt from the parsed sheet, so sheets are
//   compared by their rules (with url(...) resolved, below), the `.\:hover`
//   twins rrweb adds to :hover selectors are dropped, and the
//   `(min|max)-device-(width|height)` media features rrweb rewrites to
//   `(min|max)-(width|height)` are rewritten the same way on both sides;
// - a page recorded in Firefox is replayed in Chromium, which re-parses
//   every rule and serializes it its own way; where the two engines write
//   the same declaration differently, CSS text is brought to one form on
//   both sides: a font family name written as a string made of CSS
//   identifiers (`"Inter"`, `"Helvetica Neue"`) loses its quotes (Firefox
//   keeps the author's quotes, Chromium drops them around one identifier
//   and adds them around several; the family is the same), except a
//   generic family or CSS-wide keyword, whose quoted form names another
//   family;
// - a page recorded in WebKit (option `longhands`, which the fidelity
//   suite sets for WebKit's recordings, on both sides): the same author CSS
//   is written back differently by WebKit and by the Chromium player.
//   WebKit keeps the longhands of a border side (`border-bottom-width: 1px;
//   border-bottom-style: solid; …` where Chromium writes `border-bottom:
//   1px solid …`), and each engine lists the longhands of `font` its own way
//   (WebKit: font-variant-caps, font-width, font-variant-alternates, …;
//   Chromium: font-variant, font-stretch, font-feature-settings, …), all at
//   the value the shorthand resets them to. So there a declaration block
//   (of a sheet's rule, or a style attribute) is compared with its border
//   shorthands expanded to their longhands (by the engine that reads it),
//   `font-width` read as `font-stretch` (WebKit's newer name), and, in a
//   block that sets font-size and font-family (as `font` does), every other
//   font sub-property and line-height left out while at a value `font`
//   resets it to (normal, none, auto, or the CSS-wide keyword of `font:
//   inherit`); the declarations sorted by name (a parsed block holds each
//   name once, so order carries nothing). The font the text gets is the
//   same. And (option `clampScroll`, also set for WebKit): when a scroll
//   container's content shrinks under its scroll position, WebKit may go on
//   reporting the old offset, past the end of the content, and fire no
//   scroll event, where Chromium clamps it at once; the page shows the end
//   of the content either way, so an element's scroll offset is compared as
//   at most the furthest its content scrolls;
// - nodes rrweb adds that have no recorded id (its own <style> before <head>
//   of every rebuilt document, the text node it puts in a rebuilt <style>)
//   and the `rrweb-paused` class on <html> are skipped on the replica;
// - rrweb shows :hover by putting a `:hover` class on the element under the
//   replayed mouse and its ancestors (matched by the `.\:hover` twins), and
//   classList.remove leaves an empty class attribute behind; so `:hover` is
//   dropped from replica classes and an empty class attribute counts as
//   none, on both sides;
// - inline on* handler attributes are script, which rewind never records;
// - rrweb sets autocomplete="off" on every form control it rebuilds (so the
//   replay browser does not autofill), so autocomplete is not compared there;
// - form fields are compared by their live state (what the user sees), with
//   masking applied to the original's values as the recorder must: every
//   character of a masked value becomes '*'; a masked <select> shows no
//   choice, so the replica's selection is only checked not to reveal one
//   (rrweb's own replay of a masked select shows the first option, or none
//   once an input event set its value to '***');
// - privacy on the original, as the recorder must apply it: text inside
//   rw-mask / rr-mask / maskTextSelector (or everywhere with maskAllText)
//   has every non-blank character replaced by '*' (blanks stay, so the
//   layout does); an element matching rw-block / rr-block / blockSelector is
//   an empty placeholder of its size (recognized on the replica by the
//   rr_width / rr_height its serialized node carries, which the Replayer
//   turns into style width / height); a field matching rw-ignore / rr-ignore
//   / ignoreSelector keeps the value it had when it was snapshotted (fixtures
//   only type into such fields after the last full snapshot, so that is its
//   default value);
// - URLs: the replica is an about:blank document whose base URL is the
//   player's, so a recorder must write URLs absolute; both sides are
//   compared as resolved URLs (href, src, srcset, xlink:href, poster,
//   background, object data, url(...) in sheets and style attributes;
//   '#fragment' references inside SVG stay as written, as rrweb leaves
//   them). A form's action / formaction is not compared: a replay never
//   submits a form, and rrweb records them as written. The style attribute
//   is compared as the browser's serialization of its declarations
//   (element.style.cssText), since the Replayer may apply style changes
//   property by property;
// - an <iframe>'s src / srcdoc are not compared: the recorder records the
//   iframe's document instead (compared under `content`) and rrweb's
//   rebuild never loads them; a replayed dialog carries rrweb's
//   rr_open_mode attribute, and is compared by its state: closed, open or
//   modal (a modal dialog the Replayer closes by removing its open
//   attribute stays in Chromium's top layer, matching :modal, while hidden;
//   the user sees it closed, so a closed dialog's modality is not compared);
// - only xlink:href keeps its attribute namespace in rrweb's rebuild (other
//   namespaced attributes, xmlns:* and xml:*, are set without one), so only
//   there is the namespace compared;
// - an <input>'s own scroll offset (its text following the caret) is not
//   compared: it is not page scroll, and no recorder replays it;
// - a canvas is compared by its element and size, never its pixels (rrweb
//   replays pixels only with UNSAFE_replayCanvas);
// - <video> / <audio> are compared by their attributes, not by playback
//   state (paused, muted, volume, playbackRate, loop), nor the `loop`
//   attribute that reflects loop: rrweb's MediaManager owns that state and
//   re-applies what it keeps per element on every play / pause, and while
//   seeking (pause(offset), as these tests replay) it files MediaInteraction
//   events under its virtual DOM's nodes, so the real elements get their
//   snapshot-time state back. A seek cannot show that state faithfully
//   whatever the recorder sends.
// Not normalized, compared as they are: open shadow roots (`shadow`), the
// document of a same-origin iframe (`content`), adopted stylesheets
// (`adopted`, on documents and shadow roots), nonzero scroll positions
// (`scroll`), dialog state (`dialog`: closed / open / modal).
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const XLINK_NS = 'http://www.w3.org/1999/xlink';
  const FORM_CONTROLS = ['form', 'input', 'select', 'textarea'];
  const HOVER_TWIN = /\\:(hover|focus|active|focus-within|focus-visible)\b/;
  const DEVICE_MEDIA = /\b(max|min)-device-(width|height)\b/g;
  const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/g;
  const URL_ATTRIBUTES = ['href', 'src', 'xlink:href', 'poster', 'background'];
  // Where a form would be sent: a replay never submits one, so these are
  // not compared (rrweb records them as written).
  const UNUSED_IN_REPLAY = ['action', 'formaction'];
  const BLOCK_CLASSES = '.rw-block, .rr-block';
  const MASK_CLASSES = '.rw-mask, .rr-mask';
  const IGNORE_CLASSES = '.rw-ignore, .rr-ignore';
  const NO_VALUE_INPUTS = ['submit', 'button', 'reset', 'image', 'file'];

  function resolveUrl(value, base) {
    if (!value || value.startsWith('#')) return value;
    try {
      return new URL(value, base).href;
    } catch {
      return value;
    }
  }

  function resolveCssUrls(text, base) {
    return text.replace(CSS_URL, (whole, quote, url) =>
      !url || url.startsWith('#') || /^data:/i.test(url) ? whole : `url("${resolveUrl(url, base)}")`,
    );
  }

  // Unquoted, these mean something else than the family of that name.
  const FONT_KEYWORDS = new Set([
    'serif', 'sans-serif', 'monospace', 'cursive', 'fantasy', 'system-ui', 'math', 'emoji', 'fangsong',
    'ui-serif', 'ui-sans-serif', 'ui-monospace', 'ui-rounded',
    'inherit', 'initial', 'unset', 'revert', 'revert-layer', 'default',
  ]);
  const IDENTIFIER = /^-?[A-Za-z_][\w-]*$/;
  const FONT_DECLARATION = /((?:^|[;{]\s*)font(?:-family)?\s*:\s*)([^;}]*)/g;

  /** Font family names as one form in both engines (see the header). */
  function canonicalFontFamilies(cssText) {
    return cssText.replace(FONT_DECLARATION, (whole, head, value) =>
      head +
      value.replace(/"((?:[^"\\]|\\.)*)"/g, (quoted, name) => {
        const words = name.split(' ');
        const plain = words.every((w) => IDENTIFIER.test(w)) && !FONT_KEYWORDS.has(name.toLowerCase());
        return plain ? name : quoted;
      }),
    );
  }

  // Longhand mode (see the header).
  const BORDER_SHORTHAND = /^border(-(top|right|bottom|left))?(-(width|style|color))?$/;
  const FONT_RESET_VALUES = new Set(['normal', 'none', 'auto', 'initial', 'inherit', 'unset', 'revert', 'revert-layer']);
  const LONGHAND_ALIASES = { 'font-width': 'font-stretch' };
  let longhandMode = false;
  let probe = null;

  /** `name: value` split at its top-level semicolons (not inside quotes or parentheses). */
  function splitDeclarations(cssText) {
    const parts = [];
    let current = '';
    let depth = 0;
    let quote = null;
    for (const ch of cssText) {
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(') depth += 1;
      else if (ch === ')') depth -= 1;
      else if (ch === ';' && depth === 0) {
        if (current.trim()) parts.push(current.trim());
        current = '';
        continue;
      }
      current += ch;
    }
    if (current.trim()) parts.push(current.trim());
    return parts;
  }

  /** A declaration block's text in the form both engines agree on (see the header). */
  function longhandDeclarations(cssText) {
    probe ??= document.createElement('div').style;
    const declarations = [];
    for (const part of splitDeclarations(cssText)) {
      const colon = part.indexOf(':');
      if (colon < 0) continue;
      const name = part.slice(0, colon).trim();
      const value = part.slice(colon + 1).trim();
      if (BORDER_SHORTHAND.test(name) && /-|^border$/.test(name) && name.split('-').length < 4) {
        probe.cssText = part;
        if (probe.length) {
          for (let i = 0; i < probe.length; i += 1) {
            const longhand = probe[i];
            const priority = probe.getPropertyPriority(longhand);
            declarations.push([longhand, `${probe.getPropertyValue(longhand)}${priority ? ` !${priority}` : ''}`]);
          }
          continue;
        }
      }
      declarations.push([LONGHAND_ALIASES[name] ?? name, value]);
    }
    const names = new Set(declarations.map(([name]) => name));
    const fontShorthand = names.has('font-size') && names.has('font-family');
    return declarations
      .filter(([name, value]) => {
        if (!fontShorthand || name === 'font-size' || name === 'font-family') return true;
        if (!name.startsWith('font-') && name !== 'line-height') return true;
        return !FONT_RESET_VALUES.has(value);
      })
      .map(([name, value]) => `${name}: ${value};`)
      .sort()
      .join(' ');
  }

  /** A CSSStyleDeclaration as both sides compare it. */
  function declarationsOf(style, base) {
    const text = canonicalDeclarations(style.cssText, base);
    return longhandMode ? longhandDeclarations(text) : text;
  }

  /** A declaration block as both sides compare it: URLs resolved, one font-family form. */
  function canonicalDeclarations(cssText, base) {
    return canonicalFontFamilies(resolveCssUrls(cssText, base));
  }

  function resolveSrcset(value, base) {
    return value
      .split(',')
      .map((candidate) => {
        const [url, ...descriptors] = candidate.trim().split(/\s+/);
        return [resolveUrl(url, base), ...descriptors].join(' ');
      })
      .join(', ');
  }

  function normalizeRules(rules, base) {
    const out = [];
    for (const rule of rules) {
      // Duck-typed: a replica's rules come from the iframe's realm, where
      // this window's CSSStyleRule does not match instanceof.
      if (typeof rule.selectorText === 'string') {
        const selectors = rule.selectorText
          .split(',')
          .map((s) => s.trim())
          .filter((s) => !HOVER_TWIN.test(s));
        out.push(`${selectors.join(', ')} { ${declarationsOf(rule.style, base)} }`);
      } else if (rule.cssRules) {
        const head = rule.cssText.slice(0, rule.cssText.indexOf('{')).trim().replace(DEVICE_MEDIA, '$1-$2');
        out.push({ [head]: normalizeRules(rule.cssRules, base) });
      } else {
        out.push(canonicalDeclarations(rule.cssText, base));
      }
    }
    return out;
  }

  function sheetOf(element) {
    try {
      if (!element.sheet) return null;
      const base = element.sheet.href || element.ownerDocument.baseURI;
      return normalizeRules(element.sheet.cssRules, base);
    } catch (error) {
      return `unreadable: ${error.name}`;
    }
  }

  function adoptedOf(root, base) {
    const sheets = root.adoptedStyleSheets;
    if (!sheets || !sheets.length) return null;
    return Array.from(sheets, (sheet) => {
      try {
        return normalizeRules(sheet.cssRules, base);
      } catch (error) {
        return `unreadable: ${error.name}`;
      }
    });
  }

  function maskedValue(value) {
    return '*'.repeat([...value].length);
  }

  function maskedText(text) {
    return text.replace(/\S/gu, '*');
  }

  function isSecretField(element) {
    const type = (element.getAttribute('type') || '').toLowerCase();
    const autocomplete = (element.getAttribute('autocomplete') || '').toLowerCase().split(/\s+/);
    return (
      type === 'password' ||
      autocomplete.some((t) => t.startsWith('cc-') || ['one-time-code', 'current-password', 'new-password'].includes(t))
    );
  }

  function matches(element, selector) {
    try {
      return element.matches(selector);
    } catch {
      return false;
    }
  }

  function closest(element, selector) {
    try {
      return element.closest(selector) !== null;
    } catch {
      return false;
    }
  }

  const rounded = (value) => Math.round(Number.parseFloat(value) || 0);

  /**
   * @param {Document} doc
   * @param {{
   *   replica?: boolean,
   *   hasId?: (node: Node) => boolean,
   *   placeholderSize?: (element: Element) => ({ width: string, height: string } | null),
   *   maskAllInputs?: boolean,
   *   maskAllText?: boolean,
   *   maskTextSelector?: string,
   *   blockSelector?: string,
   *   ignoreSelector?: string,
   *   longhands?: boolean,
   *   clampScroll?: boolean,
   * }} options
   *   replica: the document is rrweb's rebuild; hasId tells whether rrweb's
   *   mirror knows a node; placeholderSize gives, for an element rrweb
   *   rebuilt as a blocked placeholder (its serialized node has rr_width),
   *   the size it was given, and null for any other element.
   *   The privacy options are those the recording used (rewind's defaults
   *   when absent); on the original they give the expected masked / blocked
   *   result, on the replica they tell which fields are ignored or masked.
   *   longhands: compare declaration blocks as longhands (a recording made
   *   in WebKit, see the header). clampScroll: compare an element's scroll
   *   offset as at most the furthest its content can scroll (the same).
   */
  function normalizeDocument(doc, options = {}) {
    const {
      replica = false,
      hasId = () => true,
      placeholderSize = () => null,
      maskAllInputs = true,
      maskAllText = false,
      maskTextSelector,
      blockSelector,
      ignoreSelector,
    } = options;
    longhandMode = Boolean(options.longhands);
    const clampScroll = Boolean(options.clampScroll);
    const blockSelectors = blockSelector ? `${BLOCK_CLASSES}, ${blockSelector}` : BLOCK_CLASSES;
    const maskSelectors = maskTextSelector ? `${MASK_CLASSES}, ${maskTextSelector}` : MASK_CLASSES;
    const ignoreSelectors = ignoreSelector ? `${IGNORE_CLASSES}, ${ignoreSelector}` : IGNORE_CLASSES;
    const isMasked = (element) => maskAllInputs || isSecretField(element);
    const base = doc.baseURI;

    function fieldState(element, tag) {
      const type = (element.getAttribute('type') || '').toLowerCase();
      const ignored = !replica && matches(element, ignoreSelectors);
      if (tag === 'input' && (type === 'checkbox' || type === 'radio')) {
        return { checked: ignored ? element.defaultChecked : element.checked };
      }
      if (tag === 'input' && NO_VALUE_INPUTS.includes(type)) return {};
      if (tag === 'select') {
        if (isMasked(element)) {
          if (!replica) return { selectedIndex: 'masked' };
          return { selectedIndex: element.selectedIndex <= 0 ? 'masked' : element.selectedIndex };
        }
        if (ignored) {
          const index = Array.from(element.options).findIndex((option) => option.defaultSelected);
          return { selectedIndex: element.options.length ? Math.max(index, 0) : -1 };
        }
        return { selectedIndex: element.selectedIndex };
      }
      const value = ignored ? element.defaultValue : element.value;
      if (!replica && isMasked(element)) return { value: maskedValue(value) };
      return { value };
    }

    function normalizeChildren(parent, parentTag) {
      const children = [];
      for (const child of parent.childNodes) {
        const normalized = normalizeNode(child, parentTag);
        if (normalized) children.push(normalized);
      }
      return children;
    }

    function normalizeNode(node, parentTag) {
      if (replica && !hasId(node)) return null;
      switch (node.nodeType) {
        case Node.DOCUMENT_TYPE_NODE:
          return { doctype: node.name };
        case Node.COMMENT_NODE:
          return { comment: node.data };
        case Node.CDATA_SECTION_NODE:
          return { cdata: true };
        case Node.TEXT_NODE: {
          // A style's text is compared through its sheet, a textarea's
          // through its value.
          if (parentTag === 'style' || parentTag === 'textarea') return null;
          const parent = node.parentElement;
          const masked = !replica && (maskAllText || (parent !== null && closest(parent, maskSelectors)));
          return { text: masked ? maskedText(node.data) : node.data };
        }
        case Node.ELEMENT_NODE:
          return normalizeElement(node);
        default:
          return null;
      }
    }

    function normalizeAttributes(element, tag) {
      const attributes = {};
      for (const attribute of element.attributes) {
        const { name } = attribute;
        let { value } = attribute;
        if (/^on./i.test(name)) continue;
        if (name === 'autocomplete' && FORM_CONTROLS.includes(tag)) continue;
        if (['value', 'checked', 'selected'].includes(name) && ['input', 'textarea', 'select', 'option'].includes(tag)) continue;
        if (tag === 'iframe' && (name === 'src' || name === 'srcdoc')) continue;
        if (UNUSED_IN_REPLAY.includes(name)) continue;
        if ((tag === 'video' || tag === 'audio') && name === 'loop') continue;
        if (replica && tag === 'dialog' && name === 'rr_open_mode') continue;
        let key = name;
        if (name === 'style' && element.style) {
          value = declarationsOf(element.style, base);
        } else if (name === 'srcset') {
          value = resolveSrcset(value, base);
        } else if (URL_ATTRIBUTES.includes(name) || (name === 'data' && tag === 'object')) {
          const fragmentInSvg = element.namespaceURI === SVG_NS && value.startsWith('#');
          if (!fragmentInSvg) value = resolveUrl(value, base);
        }
        if (name === 'xlink:href' && attribute.namespaceURI !== XLINK_NS) key = 'xlink:href (without the xlink namespace)';
        attributes[key] = value;
      }
      // The Replayer marks the element under the replayed mouse (and its
      // ancestors) with a `:hover` class, which its hover twins style, and
      // removing it again leaves an empty class attribute: so an empty
      // class counts as none, on both sides.
      if (attributes.class !== undefined) {
        const classes = attributes.class
          .split(/\s+/)
          .filter((c) => c && !(replica && (c === ':hover' || (tag === 'html' && c === 'rrweb-paused'))));
        if (classes.length) attributes.class = classes.join(' ');
        else delete attributes.class;
      }
      return Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }

    function normalizeElement(element) {
      const tag = element.localName;
      if (tag === 'script' || tag === 'noscript') return { tag: 'script' };

      if (!replica && matches(element, blockSelectors)) {
        const rect = element.getBoundingClientRect();
        return { tag, blocked: { width: Math.round(rect.width), height: Math.round(rect.height) } };
      }
      const placeholder = replica ? placeholderSize(element) : null;
      if (placeholder) {
        const result = { tag, blocked: { width: rounded(placeholder.width), height: rounded(placeholder.height) } };
        // A placeholder has nothing inside; anything here leaked.
        const children = normalizeChildren(element, tag);
        if (children.length) result.children = children;
        return result;
      }

      // On the replica only a <style> holds recorded rules: a <link> there
      // was not inlined, and whether the player fetched its sheet by the
      // time of the checkpoint is a race, so it stays a link. On the
      // original, a link whose sheet cannot be read (cross-origin) stays a
      // link too: the recorder cannot inline it.
      const rel = (element.getAttribute('rel') || '').toLowerCase().split(/\s+/);
      const isLinkSheet = !replica && tag === 'link' && rel.includes('stylesheet');
      if (element.namespaceURI !== SVG_NS && (tag === 'style' || isLinkSheet)) {
        const rules = sheetOf(element);
        if (tag === 'style' || Array.isArray(rules)) return { sheet: rules, id: element.id || undefined };
      }

      const result = { tag, attributes: normalizeAttributes(element, tag) };
      if (element.namespaceURI === SVG_NS) result.svg = true;
      if (['input', 'textarea', 'select'].includes(tag)) Object.assign(result, fieldState(element, tag));
      // A single-line field scrolls its text to follow the caret; that is
      // not page scroll and no recorder replays it.
      if (tag !== 'input') {
        const clamp = (offset, max) => (clampScroll ? Math.min(offset, Math.max(max, 0)) : offset);
        const top = Math.round(clamp(element.scrollTop, element.scrollHeight - element.clientHeight));
        const left = Math.round(clamp(element.scrollLeft, element.scrollWidth - element.clientWidth));
        if (top || left) result.scroll = { top, left };
      }
      if (tag === 'dialog') result.dialog = element.open ? (matches(element, ':modal') ? 'modal' : 'open') : 'closed';
      if (tag === 'canvas') result.canvas = { width: element.width, height: element.height };
      result.children = normalizeChildren(element, tag);
      if (element.shadowRoot) {
        const shadow = { children: normalizeChildren(element.shadowRoot, null) };
        const adopted = adoptedOf(element.shadowRoot, base);
        if (adopted) shadow.adopted = adopted;
        result.shadow = shadow;
      }
      if (tag === 'iframe') {
        let content = null;
        try {
          content = element.contentDocument;
        } catch {
          content = null;
        }
        // Cross-origin frames are not readable, on either side.
        if (content) result.content = normalizeDocument(content, options);
      }
      return result;
    }

    const out = normalizeChildren(doc, null);
    const adopted = adoptedOf(doc, base);
    if (adopted) out.push({ adopted });
    return out;
  }

  window.normalizeDocument = normalizeDocument;
})();
